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
  receivedAt?: number;
  firstTimestamp?: number;
  transactionBatches?: number;
  phases?: { decodeMs: number; queueMs: number; prepareMs: number; beginMs: number; applyMs: number; commitMs: number };
}

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Where a record's time goes, per batch, in the manner of Kafka Streams' end-to-end latency
 * metrics (KIP-613), which also read the record's Kafka timestamp against the local clock:
 * `<prefix>_fetch_delay_seconds`, from the batch's first record's timestamp to the engine receiving
 * the batch (the producer's send, the broker, the fetch, and the wait behind earlier batches);
 * `<prefix>_batch_phase_seconds{phase}`, the batch's own time by phase; and
 * `<prefix>_record_e2e_latency_seconds`, from that timestamp to the batch's COMMIT: how stale a
 * read model is.
 */
export const consumerLatencyMetrics = (registry: Registry, prefix: string): ((batch: ConsumerBatch) => void) => {
  const fetchDelay = new Histogram({ name: `${prefix}_fetch_delay_seconds`, help: "From the Kafka timestamp of a batch's first record to the consumer receiving the batch", buckets: latencyBuckets, registers: [registry] });
  const phase = new Histogram({ name: `${prefix}_batch_phase_seconds`, help: 'Time per batch by phase: decode, queue (for its transaction), prepare, begin (to the position locks), apply, commit (position writes and COMMIT)', labelNames: ['phase'], buckets: latencyBuckets, registers: [registry] });
  const e2e = new Histogram({ name: `${prefix}_record_e2e_latency_seconds`, help: "From the Kafka timestamp of a batch's first record to the batch committed", buckets: latencyBuckets, registers: [registry] });
  const sharing = new Histogram({ name: `${prefix}_transaction_batches`, help: 'Partition batches in the transaction that applied each batch (group commit)', buckets: [1, 2, 4, 8, 16, 32, 64], registers: [registry] });
  const phases = ['decode', 'queue', 'prepare', 'begin', 'apply', 'commit'] as const;
  return (batch) => {
    if (batch.firstTimestamp === undefined || batch.receivedAt === undefined || !Number.isFinite(batch.firstTimestamp)) return;
    // A clock behind the producer's would make these negative; a zero says so without bending the sums much.
    fetchDelay.observe(Math.max(0, batch.receivedAt - batch.firstTimestamp) / 1000);
    e2e.observe(Math.max(0, batch.receivedAt + batch.durationMs - batch.firstTimestamp) / 1000);
    if (batch.transactionBatches !== undefined) sharing.observe(batch.transactionBatches);
    if (!batch.phases) return;
    for (const name of phases) phase.observe({ phase: name }, batch.phases[`${name}Ms`] / 1000);
  };
};

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
  const latency = consumerLatencyMetrics(registry, prefix);
  return {
    onBatch: (r: ConsumerBatch): void => {
      applied.inc({ topic: r.topic }, r.applied);
      skipped.inc({ topic: r.topic }, r.skipped);
      rejected.inc({ topic: r.topic }, r.rejected);
      undecodable.inc({ topic: r.topic }, r.undecodable);
      observe(r);
      latency(r);
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
