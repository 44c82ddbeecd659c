import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Logger } from '@agentbus/logger';
import { databaseCheck, serveOps, type HealthReport, type OpsServer } from './opsServer';

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
const batchMetrics = (registry: Registry, prefix: string, durationHelp: string): ((batch: BatchObservation) => void) => {
  const size = new Histogram({ name: `${prefix}_batch_size`, help: 'Records per transaction', buckets: [1, 10, 50, 100, 500, 1000, 5000], registers: [registry] });
  const seconds = new Histogram({ name: `${prefix}_batch_duration_seconds`, help: durationHelp, buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry] });
  const lag = new Gauge({ name: `${prefix}_lag`, help: 'Records behind the end of each partition', labelNames: ['topic', 'partition'], registers: [registry] });
  return (batch) => {
    size.observe(batch.fetched);
    seconds.observe(batch.durationMs / 1000);
    lag.set({ topic: batch.topic, partition: String(batch.partition) }, batch.lag);
  };
};

export interface ConsumerBatch extends BatchObservation {
  applied: number;
  skipped: number;
  rejected: number;
  undecodable: number;
}

/**
 * The metrics of a service on the consumer engine, per topic: `<prefix>_records_total` (applied),
 * `_records_skipped_total` (redelivered, already stored), `_records_dead_lettered_total`,
 * `_records_undecodable_total`, `_database_errors_total`, and the batch metrics above.
 */
export const consumerMetrics = (registry: Registry, prefix: string, help: { applied: string; batch: string }) => {
  const counter = (name: string, text: string) => new Counter({ name: `${prefix}_${name}`, help: text, labelNames: ['topic'], registers: [registry] });
  const applied = counter('records_total', help.applied);
  const skipped = counter('records_skipped_total', 'Redelivered records already stored (below the stored position)');
  const rejected = counter('records_dead_lettered_total', 'Records sent to the dead-letter topic, with their reasons');
  const undecodable = counter('records_undecodable_total', 'Records that could not be decoded');
  const dbErrors = new Counter({ name: `${prefix}_database_errors_total`, help: 'Batches retried because Postgres was unavailable or refused the service', registers: [registry] });
  const observe = batchMetrics(registry, prefix, help.batch);
  return {
    onBatch: (r: ConsumerBatch): void => {
      applied.inc({ topic: r.topic }, r.applied);
      skipped.inc({ topic: r.topic }, r.skipped);
      rejected.inc({ topic: r.topic }, r.rejected);
      undecodable.inc({ topic: r.topic }, r.undecodable);
      observe(r);
    },
    onDatabaseError: (): void => dbErrors.inc(),
  };
};

/** What a consumer says of itself (the shape of PartitionConsumer.health()). */
export interface ConsumerState {
  running: boolean;
  assigned?: readonly string[];
  positioned?: boolean;
  lastBatchAt?: number;
  waitingFor?: string;
}

const describeConsumer = (c: ConsumerState, now: number): string =>
  [
    c.assigned === undefined ? undefined : `assigned ${c.assigned.join(' ') || 'nothing'}`,
    c.positioned === undefined ? undefined : c.positioned ? 'positioned' : 'not yet positioned',
    c.waitingFor && `waiting for the ${c.waitingFor}`,
    c.lastBatchAt === undefined ? undefined : `last batch ${((now - c.lastBatchAt) / 1000).toFixed(1)} s ago`,
  ]
    .filter(Boolean)
    .join('; ');

/** Healthy while Postgres answers and the consumer runs; the detail says what the consumer holds and waits for. */
export const consumerHealth =
  (db: { raw(sql: string): PromiseLike<unknown> }, consumer: () => ConsumerState, now: () => number = Date.now) =>
  async (): Promise<HealthReport> => {
    const database = await databaseCheck(db);
    const state = consumer();
    const detail = describeConsumer(state, now());
    const check = { ok: state.running, ...(detail ? { detail } : {}) };
    return { ok: database.ok && check.ok, checks: { database, consumer: check } };
  };

/**
 * The shell of a service that is one consumer: starts it, serves /health (Postgres and the
 * consumer's own state) and /metrics, and stops all three in order.
 */
export const startConsumerService = async (
  consumer: { start(): Promise<void>; stop(): Promise<void>; health(): ConsumerState },
  options: { db: { raw(sql: string): PromiseLike<unknown>; destroy(): Promise<void> }; ops: OpsServer | undefined; port: number; registry: Registry; logger: Logger },
): Promise<{ ops: OpsServer; stop(): Promise<void> }> => {
  const { db, port, registry, logger } = options;
  await consumer.start();
  const ops = await serveOps(options.ops, { port, registry, logger, health: consumerHealth(db, () => consumer.health()) });
  return {
    ops,
    stop: async () => {
      await consumer.stop();
      await ops.close();
      await db.destroy();
    },
  };
};
