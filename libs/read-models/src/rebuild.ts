import type { Kafka } from 'kafkajs';
import type { Knex } from 'knex';
import { PartitionConsumer, type BatchReport, type PartitionConsumerOptions } from '@agentbus/consumer';
import { createOffsetsTable, offsetKey, readOffsets, writeOffsets } from '@agentbus/postgres-sink';
import type { Projection } from '@agentbus/projections';
import { bulkLoad, type BulkLoadOptions, type Positions } from './bulkLoad';
import { createShadowGeneration, dropGeneration, abandonedGenerations, swapGeneration } from './generations';
import { projectionTarget } from './projectionTarget';

export interface RebuildOptions extends Pick<BulkLoadOptions, 'db' | 'kafka' | 'codec' | 'topics' | 'consumer' | 'deadLetterTopic' | 'logger'> {
  projections: readonly Projection[];
  databaseUrl: string;
  /** Start from the first record at or after this time instead of the beginning. */
  from?: Date;
  /** Include records up to and including this time, then stop without going live: a read model as of `to`. */
  to?: Date;
  onProgress?: (progress: { done: number; total: number; phase: 'rebuilding' | 'catching up' | 'swapping' }) => void;
  /** Partitions applied in parallel, each batch in its own transaction (default 2: one decoding while another writes); the pool needs one more connection. */
  partitionsConcurrently?: number;
  /** Every applied batch, as the sink reports it (sizes and timings for metrics and benchmarks). */
  onBatch?: (report: BatchReport) => void;
  /** Verify signatures as the live projector does, so a rebuild refuses what it refused. */
  identity?: PartitionConsumerOptions['identity'];
  /**
   * The bulk phase, up to the ends of the partitions when the rebuild starts (or `to`): read,
   * folded in memory and COPYed in one transaction instead of a transaction per batch. `false`
   * applies everything batch by batch; `maxRows` bounds the rows held in memory (default
   * 2,000,000), past which the rest is applied batch by batch; `maxBytesPerPartition` is per fetch.
   */
  bulk?: false | Pick<BulkLoadOptions, 'maxRows' | 'maxBytesPerPartition'>;
}

export interface RebuildResult {
  schema: string;
  generation: number;
  swapped: boolean;
  retired?: string;
  events: number;
}

export type { Positions } from './bulkLoad';

export const positions = async (kafka: Kafka, topics: readonly string[], at: 'low' | 'high' | Date): Promise<Positions> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out: Positions = new Map();
    for (const topic of topics) {
      if (at instanceof Date) {
        const highs = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, o.high]));
        // Offsets-for-times answers -1 past the end: nothing at or after the time yet.
        for (const o of await admin.fetchTopicOffsetsByTimestamp(topic, at.getTime())) out.set(offsetKey(topic, o.partition), BigInt(o.offset === '-1' ? highs.get(o.partition)! : o.offset));
      } else {
        for (const o of await admin.fetchTopicOffsets(topic)) out.set(offsetKey(topic, o.partition), BigInt(at === 'low' ? o.low : o.high));
      }
    }
    return out;
  } finally {
    await admin.disconnect();
  }
};

export const sum = (m: ReadonlyMap<string, bigint>): bigint => [...m.values()].reduce((a, b) => a + b, 0n);

/** A rebuild's bulk phase into an empty `schema`, from `start` to `end`; whether it reached `end` (see bulkLoad). */
export const bulkPhase = async (
  options: Omit<RebuildOptions, 'projections'>,
  target: Pick<BulkLoadOptions, 'projections' | 'schema' | 'start' | 'end' | 'logger'>,
): Promise<boolean> => {
  const total = Number(sum(target.end) - sum(target.start));
  const loaded = await bulkLoad({
    db: options.db,
    kafka: options.kafka,
    codec: options.codec,
    topics: options.topics,
    consumer: options.consumer,
    deadLetterTopic: options.deadLetterTopic,
    ...target,
    ...options.bulk,
    ...(options.identity ? { identity: options.identity } : {}),
    ...(options.onBatch ? { onBatch: options.onBatch } : {}),
    onProgress: (done) => options.onProgress?.({ done: Math.min(done, total), total, phase: 'rebuilding' }),
  });
  return loaded.complete;
};

/**
 * Blue/green rebuild: replays Kafka into a new generation schema while the live projector keeps
 * serving, then swaps atomically. Anything that fails leaves the live generation untouched and
 * drops the shadow.
 */
export const rebuildReadModels = async (options: RebuildOptions): Promise<RebuildResult> => {
  const { db, logger } = options;
  for (const abandoned of await abandonedGenerations(db)) await dropGeneration(db, abandoned);
  const shadow = await createShadowGeneration(db);
  logger.info({ schema: shadow.schema }, 'rebuilding into a shadow generation');
  let sink: PartitionConsumer | undefined;
  try {
    const start = await positions(options.kafka, options.topics, options.from ?? 'low');
    // Secondary indexes are built once at the end of the bulk phase: a third cheaper than keeping
    // them up to date row by row. Primary keys stay, since upserts and deduplication need them.
    const deferred = await dropSecondaryIndexes(db, shadow.schema);
    await createOffsetsTable(db, shadow.schema);
    await db.transaction((trx) =>
      writeOffsets(
        trx,
        shadow.schema,
        options.consumer,
        [...start].map(([key, offset]) => ({ topic: key.slice(0, key.lastIndexOf('/')), partition: Number(key.slice(key.lastIndexOf('/') + 1)), nextOffset: offset })),
      ),
    );
    // "As of T" includes records stamped T: stop at the first record after it.
    const stopAt = options.to ? await positions(options.kafka, options.topics, new Date(options.to.getTime() + 1)) : undefined;
    const bulkComplete =
      options.bulk !== false &&
      (await bulkPhase(options, { projections: options.projections, schema: shadow.schema, start, end: stopAt ?? (await positions(options.kafka, options.topics, 'high')), logger: logger.child({ component: 'rebuild' }) }));
    if (stopAt && bulkComplete) {
      await createIndexes(db, deferred);
      return { ...shadow, swapped: false, events: Number(sum(stopAt) - sum(start)) };
    }
    sink = new PartitionConsumer({
      kafka: options.kafka,
      codec: options.codec,
      db,
      databaseUrl: options.databaseUrl,
      name: options.consumer,
      groupId: `agentbus-rebuild-${shadow.schema}-${Date.now()}`,
      topics: options.topics,
      target: projectionTarget({ projections: options.projections, schema: shadow.schema }),
      deadLetterTopic: options.deadLetterTopic,
      logger: logger.child({ component: 'rebuild' }),
      partitionsConcurrently: options.partitionsConcurrently ?? 2,
      // Stopping waits out an in-flight fetch; a short long-poll keeps the end of a rebuild quick.
      consumerConfig: { maxWaitTimeInMs: 250 },
      // The shadow is disposable until the swap, and a crash drops it: no need to wait for each WAL flush.
      synchronousCommit: false,
      ...(stopAt ? { stopAt } : {}),
      ...(options.onBatch ? { onBatch: options.onBatch } : {}),
      ...(options.identity ? { identity: options.identity } : {}),
    });
    await sink.start();

    const caughtUp = async (targets: Positions, phase: 'rebuilding' | 'catching up' | 'swapping') => {
      const total = Number(sum(targets) - sum(start));
      for (;;) {
        const stored = await readOffsets(db, shadow.schema, options.consumer);
        const done = [...targets].reduce((n, [key]) => n + Number((stored.get(key) ?? start.get(key)!) - start.get(key)!), 0);
        options.onProgress?.({ done: Math.min(done, total), total, phase });
        if ([...targets].every(([key, target]) => (stored.get(key) ?? start.get(key)!) >= target)) return;
        if (!sink!.isRunning) throw new Error('the rebuild consumer stopped');
        await new Promise((r) => setTimeout(r, 200));
      }
    };

    if (stopAt) {
      await caughtUp(stopAt, 'rebuilding');
      await sink.stop();
      await createIndexes(db, deferred);
      return { ...shadow, swapped: false, events: Number(sum(stopAt) - sum(start)) };
    }
    await caughtUp(await positions(options.kafka, options.topics, 'high'), 'rebuilding');
    await createIndexes(db, deferred);
    await caughtUp(await positions(options.kafka, options.topics, 'high'), 'catching up');
    let ends: Positions = new Map();
    const { retired } = await swapGeneration(db, shadow, async () => {
      // Writers to the live generation are held now; apply what arrived meanwhile, then switch.
      ends = await positions(options.kafka, options.topics, 'high');
      await caughtUp(ends, 'swapping');
    });
    await sink.stop();
    logger.info({ schema: shadow.schema, retired }, 'rebuilt generation is live');
    return { ...shadow, swapped: true, retired, events: Number(sum(ends) - sum(start)) };
  } catch (error) {
    await sink?.stop().catch(() => undefined);
    await dropGeneration(db, shadow.schema).catch(() => undefined);
    throw error;
  }
};

/** Drops the non-unique indexes of a schema's tables and returns their definitions. */
const dropSecondaryIndexes = async (db: Knex, schema: string): Promise<string[]> => {
  const { rows } = await db.raw(
    `select i.indexrelid::regclass::text as name, pg_get_indexdef(i.indexrelid) as definition
       from pg_index i join pg_class t on t.oid = i.indrelid join pg_namespace n on n.oid = t.relnamespace
      where n.nspname = ? and not i.indisunique and not i.indisprimary`,
    [schema],
  );
  for (const { name } of rows as { name: string }[]) await db.raw(`drop index ${name}`);
  return (rows as { definition: string }[]).map((r) => r.definition);
};

const createIndexes = async (db: Knex, definitions: readonly string[]): Promise<void> => {
  for (const definition of definitions) await db.raw(definition);
};
