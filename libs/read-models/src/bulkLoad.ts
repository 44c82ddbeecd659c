import type { EachBatchPayload, Kafka, Producer } from 'kafkajs';
import type { Knex } from 'knex';
import type { AvroEventCodec } from '@agentbus/codec';
import { decodeBatch, sendToDeadLetters, sendViolations, type BatchReport, type ConsumedRecord, type PartitionConsumerOptions, type Rejection } from '@agentbus/consumer';
import type { Logger } from '@agentbus/logger';
import { copyInto, isDatabaseSetupError, isRetriableDatabaseError, offsetKey, writeOffsets, type BulkColumnType, type CopyWriter } from '@agentbus/postgres-sink';
import { MutableTables, type Projection } from '@agentbus/projections';
import { defaultRetryPolicy, type RetryPolicy } from '@agentbus/retry';
import { eventColumns, eventRow } from './projectionTarget';

export type Positions = Map<string, bigint>;

export interface BulkLoadOptions {
  db: Knex;
  kafka: Kafka;
  codec: AvroEventCodec;
  topics: readonly string[];
  /** The live projector's consumer name: offsets are written under it, so the projector continues from them. */
  consumer: string;
  projections: readonly Projection[];
  /** Where to load; its `events` and projection tables must be empty. */
  schema: string;
  deadLetterTopic: string;
  logger: Logger;
  /** Per `topic/partition`, the first offset to load. */
  start: ReadonlyMap<string, bigint>;
  /** Per `topic/partition`, the first offset not to load (the high watermarks when the rebuild began, or `stopAt`). */
  end: ReadonlyMap<string, bigint>;
  /** Rows held in memory before the bulk phase writes what it has and stops early (default 2,000,000). */
  maxRows?: number;
  /** Bytes fetched per partition and request (default 4 MiB). */
  maxBytesPerPartition?: number;
  /** Verify signatures as the live projector does (see PartitionConsumerOptions). */
  identity?: PartitionConsumerOptions['identity'];
  retry?: Partial<RetryPolicy>;
  onBatch?: (report: BatchReport) => void;
  /** Records read so far (loaded, duplicate or dead-lettered) across partitions. */
  onProgress?: (done: number) => void;
}

export interface BulkLoadResult {
  /** Per `topic/partition`, the next offset to apply: stored in the schema's offsets in the same transaction. */
  reached: Positions;
  /** False when the row limit stopped the phase before `end`. */
  complete: boolean;
  events: number;
  duplicates: number;
  rejected: number;
  rows: number;
}

export const defaultBulkMaxRows = 2_000_000;

/** A value Postgres refuses (SQLSTATE classes 22, data exception, and 23, integrity constraint), not the connection or the service's grants. */
const isRefusedData = (error: unknown): boolean => {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && /^2[23]/.test(code) && !isRetriableDatabaseError(error) && !isDatabaseSetupError(error);
};

/** The messages with from <= offset < end; offsets rise within a batch, so a batch wholly inside is returned as it is. */
const within = <M extends { offset: string }>(messages: M[], from: bigint, end: bigint): M[] => {
  if (messages.length === 0) return messages;
  if (BigInt(messages[0]!.offset) >= from && BigInt(messages.at(-1)!.offset) < end) return messages;
  return messages.filter((m) => {
    const offset = BigInt(m.offset);
    return offset >= from && offset < end;
  });
};

/**
 * The bulk phase of a rebuild: reads every partition from `start` to `end` with a fresh consumer
 * group, decodes and verifies as the consumer engine does (decodeBatch), dead-letters what it
 * refuses as the engine does, keeps the first copy of each event id (the event store's
 * deduplication), streams the events into `events` with COPY while reading, folds the
 * projections' changes into in-memory tables and COPYs those at the end, then writes the offsets
 * reached: all in one transaction, so a failure leaves nothing of it behind. Per-batch
 * transactions cost a round trip and an upsert per batch and table; here Postgres only parses
 * COPY lines, on its own core.
 */
export const bulkLoad = async (options: BulkLoadOptions): Promise<BulkLoadResult> => {
  const { db, kafka, logger } = options;
  const pending = [...options.end].filter(([key, end]) => (options.start.get(key) ?? end) < end);
  const reached: Positions = new Map(options.start);
  if (pending.length === 0) return { reached, complete: true, events: 0, duplicates: 0, rejected: 0, rows: 0 };

  const maxRows = options.maxRows ?? defaultBulkMaxRows;
  const policy = { ...defaultRetryPolicy, maxDelayMs: 5000, ...options.retry };
  const definitions = options.projections.flatMap((p) => p.tables);
  const tables = new MutableTables(definitions);
  const seen = new Set<string>();
  const counts = { events: 0, duplicates: 0, rejected: 0, read: 0 };
  const trx = await db.transaction();
  let producer: Producer | undefined;
  // The COPY in progress, cancelled on failure: the rollback cannot run on the connection before.
  let open: CopyWriter | undefined;
  const consumer = kafka.consumer({ groupId: `agentbus-rebuild-bulk-${options.schema}-${Date.now()}`, allowAutoTopicCreation: false, maxBytesPerPartition: options.maxBytesPerPartition ?? 4 * 1024 * 1024, maxBytes: 16 * 1024 * 1024, maxWaitTimeInMs: 250 });
  try {
    // The shadow is dropped if the rebuild fails: no need to wait for each WAL flush.
    await trx.raw('set local synchronous_commit = off');
    const eventStore = await copyInto(trx, { schema: options.schema, table: 'events', columns: eventColumns });
    open = eventStore;
    producer = kafka.producer({ idempotent: true });
    await producer.connect();

    let stopped = false;
    let settle!: (error?: unknown) => void;
    const finished = new Promise<void>((resolve, reject) => {
      settle = (error) => {
        if (stopped) return;
        stopped = true;
        if (error === undefined) resolve();
        else reject(error);
      };
    });
    const remaining = new Set(pending.map(([key]) => key));
    const seekAll = (assigned: Record<string, number[]>) => {
      for (const [topic, partitions] of Object.entries(assigned)) {
        for (const partition of partitions) consumer.seek({ topic, partition, offset: String(reached.get(offsetKey(topic, partition)) ?? 0n) });
      }
    };
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => seekAll(payload.memberAssignment));
    // kafkajs restarts itself after a retriable crash (and GROUP_JOIN seeks again), as the engine lets it.
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) settle(payload.error);
    });

    const handleBatch = async ({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> => {
      if (stopped || !isRunning() || isStale()) return;
      const started = Date.now();
      const key = offsetKey(batch.topic, batch.partition);
      const from = reached.get(key);
      const end = options.end.get(key);
      if (from === undefined || end === undefined) {
        // A partition that did not exist when the positions were taken: the catch-up reads it.
        consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
        return;
      }
      // Records before the position were read already (a redelivery after a rejoin); those at or after the end belong to the catch-up.
      const messages = within(batch.messages, from, end);
      // The next fetch starts after the last resolved offset.
      if (messages.length === 0) return resolveOffset(batch.messages.at(-1)!.offset);
      let records: ConsumedRecord[] | undefined;
      while (!records) {
        records = await decodeBatch(
          options.codec,
          batch.topic,
          batch.partition,
          messages,
          {
            policy,
            heartbeat,
            shouldStop: () => stopped || !isRunning() || isStale(),
            onRetry: (error, attempt) => logger.warn({ err: error, topic: batch.topic, partition: batch.partition, attempt }, 'cannot decode yet (registry unavailable); waiting, in order'),
          },
          undefined,
          options.identity?.verifier,
        );
        if (!records && (stopped || !isRunning() || isStale())) return;
      }
      const rejections: Rejection[] = [];
      let loaded = 0;
      for (const record of records) {
        const event = record.event;
        if (!event) {
          rejections.push({ record, error: record.decodeError });
          continue;
        }
        if (seen.has(event.id)) {
          counts.duplicates++;
          continue;
        }
        seen.add(event.id);
        eventStore.push(eventRow(record, event));
        loaded++;
        try {
          // All projections' changes first: one that throws leaves the event's rows untouched, as in projectionTarget.
          const changes = options.projections.flatMap((p) => p.project(event));
          tables.applyAll(changes);
        } catch (error) {
          rejections.push({ record, error });
        }
      }
      await sendToDeadLetters(producer!, options.deadLetterTopic, rejections, { service: options.consumer, logger, now: Date.now() });
      if (options.identity) await sendViolations(producer!, options.codec, rejections, { reporter: options.consumer, signingKey: options.identity.signingKey });
      await eventStore.flush();
      const last = BigInt(messages.at(-1)!.offset);
      reached.set(key, last + 1n);
      resolveOffset(messages.at(-1)!.offset);
      counts.events += loaded;
      counts.rejected += rejections.length;
      counts.read += messages.length;
      options.onBatch?.({
        topic: batch.topic,
        partition: batch.partition,
        fetched: batch.messages.length,
        applied: records.length - rejections.length,
        skipped: batch.messages.length - messages.length,
        rejected: rejections.length,
        undecodable: records.filter((r) => r.decodeError !== undefined).length,
        durationMs: Date.now() - started,
        receivedAt: started,
        firstTimestamp: Number(batch.messages[0]!.timestamp),
        lag: Math.max(0, Number(BigInt(batch.highWatermark) - last - 1n)),
        nextOffset: last + 1n,
      });
      options.onProgress?.(counts.read);
      await heartbeat();
      if (last + 1n >= end) {
        remaining.delete(key);
        // Records past the end belong to the catch-up: stop fetching them.
        consumer.pause([{ topic: batch.topic, partitions: [batch.partition] }]);
      }
      if (remaining.size === 0) settle();
      else if (tables.rowCount > maxRows) {
        logger.warn({ rows: tables.rowCount, maxRows }, 'the bulk phase holds more rows than its limit: writing them now and continuing batch by batch, in transactions');
        settle();
      }
    };

    await consumer.connect();
    await consumer.subscribe({ topics: [...options.topics], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        try {
          await handleBatch(payload);
        } catch (error) {
          settle(error);
        }
      },
    });
    await finished;
    await consumer.disconnect();

    const stored = await eventStore.end();
    let rows = 0;
    for (const definition of definitions) {
      const writer = await copyInto(trx, { schema: options.schema, table: definition.name, columns: definition.columns as Record<string, BulkColumnType> });
      open = writer;
      let n = 0;
      for (const row of tables.rows(definition.name)) {
        writer.push(row);
        if (++n % 2000 === 0) await writer.flush();
      }
      rows += await writer.end();
    }
    await writeOffsets(trx, options.schema, options.consumer, [...reached].map(([key, nextOffset]) => ({ topic: key.slice(0, key.lastIndexOf('/')), partition: Number(key.slice(key.lastIndexOf('/') + 1)), nextOffset })));
    await trx.commit();
    const complete = remaining.size === 0;
    logger.info({ schema: options.schema, events: stored, duplicates: counts.duplicates, rejected: counts.rejected, rows, complete }, 'bulk phase loaded');
    return { reached, complete, events: stored, duplicates: counts.duplicates, rejected: counts.rejected, rows };
  } catch (error) {
    await open?.abort().catch(() => undefined);
    if (!trx.isCompleted()) await trx.rollback().catch(() => undefined);
    if (!isRefusedData(error)) throw error;
    // One bad value fails a whole COPY; the engine isolates the record and dead-letters it instead.
    logger.warn({ err: error, schema: options.schema }, 'the database refused a value of the bulk phase; nothing of it is kept, and the rebuild applies batch by batch instead, dead-lettering what the database refuses');
    return { reached: new Map(options.start), complete: false, events: 0, duplicates: 0, rejected: 0, rows: 0 };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
  }
};
