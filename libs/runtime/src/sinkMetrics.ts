import { Gauge, Histogram, type Registry } from 'prom-client';
import { databaseCheck, type HealthReport } from './opsServer';

export interface BatchObservation {
  topic: string;
  partition: number;
  fetched: number;
  durationMs: number;
  lag: number;
}

/**
 * The metrics every Kafka-to-Postgres service reports per batch: `<prefix>_batch_size`,
 * `<prefix>_batch_duration_seconds` and `<prefix>_lag` per partition.
 */
export const batchMetrics = (registry: Registry, prefix: string, durationHelp: string): ((batch: BatchObservation) => void) => {
  const size = new Histogram({ name: `${prefix}_batch_size`, help: 'Records per transaction', buckets: [1, 10, 50, 100, 500, 1000, 5000], registers: [registry] });
  const seconds = new Histogram({ name: `${prefix}_batch_duration_seconds`, help: durationHelp, buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry] });
  const lag = new Gauge({ name: `${prefix}_lag`, help: 'Records behind the end of each partition', labelNames: ['topic', 'partition'], registers: [registry] });
  return (batch) => {
    size.observe(batch.fetched);
    seconds.observe(batch.durationMs / 1000);
    lag.set({ topic: batch.topic, partition: String(batch.partition) }, batch.lag);
  };
};

/** Healthy while Postgres answers and the consumer runs. */
export const consumerHealth =
  (db: { raw(sql: string): PromiseLike<unknown> }, isRunning: () => boolean) =>
  async (): Promise<HealthReport> => {
    const database = await databaseCheck(db);
    const consumer = { ok: isRunning() };
    return { ok: database.ok && consumer.ok, checks: { database, consumer } };
  };
