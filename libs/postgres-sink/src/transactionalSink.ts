import type { Consumer, ConsumerConfig, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs';
import type { Knex } from 'knex';
import { backoffDelay, deadLetterMessage, defaultRetryPolicy, Headers, type RetryPolicy } from '@agentbus/bus';
import type { AvroEventCodec } from '@agentbus/codec';
import { isRetriable, type AgentEvent } from '@agentbus/events';
import type { Logger } from '@agentbus/logger';
import { isRetriableDatabaseError, mapDatabaseError } from './database';
import { createOffsetsTable, offsetKey, readOffsets, writeOffsets } from './offsets';

export interface SinkRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Kafka's record timestamp, epoch ms. */
  timestamp: number;
  event?: AgentEvent;
  schemaId?: number;
  /** Why the record could not be decoded; the target decides (dead-letter it, or store it raw). */
  decodeError?: unknown;
}

export interface Rejection {
  record: SinkRecord;
  error: unknown;
}

/** What a sink writes. Everything it does goes through `trx`, the transaction that also stores the offsets. */
export interface SinkTarget {
  /** The schema this transaction writes into; read inside it, so a blue/green swap is seen at once. */
  schema(trx: Knex.Transaction): Promise<string>;
  /** Applies records; returns those it refuses, which go to the dead-letter topic. */
  apply(trx: Knex.Transaction, schema: string, records: SinkRecord[]): Promise<Rejection[]>;
}

export interface BatchReport {
  topic: string;
  partition: number;
  fetched: number;
  applied: number;
  skipped: number;
  rejected: number;
  durationMs: number;
  /** Records behind the partition's end after this batch. */
  lag: number;
}

export interface TransactionalSinkOptions {
  kafka: Kafka;
  codec: AvroEventCodec;
  db: Knex;
  databaseUrl: string;
  /** Names the offsets rows; a rebuild writes the same name so the live consumer continues from them. */
  consumer: string;
  /** Kafka consumer group; defaults to `consumer`. */
  groupId?: string;
  topics: readonly string[];
  target: SinkTarget;
  deadLetterTopic: string;
  logger: Logger;
  retry?: Partial<RetryPolicy>;
  consumerConfig?: Partial<Pick<ConsumerConfig, 'sessionTimeout' | 'heartbeatInterval' | 'maxWaitTimeInMs' | 'maxBytesPerPartition' | 'rebalanceTimeout'>>;
  /**
   * Batches of different partitions applied at once, each in its own transaction (default 1). The
   * pool needs this many connections plus one. Projections must not depend on the order of
   * partitions, which Kafka never guaranteed anyway.
   */
  partitionsConcurrently?: number;
  /**
   * `false` lets a commit return before its WAL is flushed. A crash may then lose the last few
   * commits, rows and offsets together, so they are simply applied again from Kafka: right for a
   * rebuild, whose output is disposable until the swap.
   */
  synchronousCommit?: boolean;
  /** Per `topic/partition`: the first offset not to apply (a rebuild up to a point in time). */
  stopAt?: ReadonlyMap<string, bigint>;
  onBatch?: (report: BatchReport) => void;
  onError?: (error: unknown) => void;
}

class ReseekNeeded extends Error {}

/** The database refused the batch's data (not the connection): it is applied again, isolating records. */
class BatchRefused extends Error {
  constructor(readonly error: unknown) {
    super('batch refused by the database');
  }
}

/**
 * Kafka to Postgres, effectively once. Each fetched batch is one transaction that writes the rows
 * and the partition's next offset together; records below the stored offset are skipped, so a
 * redelivery after a crash changes nothing. Kafka's own committed offsets are only advisory: on
 * every assignment the consumer seeks to the offsets stored in Postgres.
 */
export class TransactionalSink {
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private assignment = new Map<string, number[]>();
  private currentSchema: string | undefined;
  private positioned = false;
  private positioning: Promise<void> | undefined;
  private running = false;
  private readonly retry: RetryPolicy;

  constructor(private readonly options: TransactionalSinkOptions) {
    this.retry = { ...defaultRetryPolicy, maxDelayMs: 5000, ...options.retry };
  }

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    const { kafka, consumer: name, topics } = this.options;
    this.producer = kafka.producer({ idempotent: true });
    await this.producer.connect();
    const consumer = kafka.consumer({ groupId: this.options.groupId ?? name, allowAutoTopicCreation: false, ...this.options.consumerConfig });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assignment = new Map(Object.entries(payload.memberAssignment));
      this.positioned = false;
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => this.options.logger.error({ err: payload.error, restart: payload.restart }, 'sink consumer crashed'));
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    this.running = true;
    await consumer.run({ eachBatchAutoResolve: false, partitionsConsumedConcurrently: this.options.partitionsConcurrently ?? 1, eachBatch: (payload) => this.handleBatch(payload) });
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.consumer?.disconnect();
    await this.producer?.disconnect();
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale, heartbeat, resolveOffset } = payload;
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    if (!this.positioned) {
      // First batch after a (re)join: the group's Kafka offsets may disagree with Postgres.
      await this.reposition();
      return;
    }
    const started = Date.now();
    const records = await this.decodeAll(batch.topic, batch.partition, batch.messages, heartbeat, isRunning);
    if (!records) return;

    let isolate = false;
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await this.options.db.transaction((trx) => this.applyBatch(trx, batch.topic, batch.partition, records, isolate));
        const last = batch.messages.at(-1)!.offset;
        resolveOffset(last);
        this.options.onBatch?.({
          topic: batch.topic,
          partition: batch.partition,
          fetched: records.length,
          applied: outcome.applied,
          skipped: outcome.skipped,
          rejected: outcome.rejected,
          durationMs: Date.now() - started,
          lag: Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last) - 1n)),
        });
        return;
      } catch (error) {
        if (error instanceof ReseekNeeded) {
          await this.reposition();
          return;
        }
        if (error instanceof BatchRefused && !isolate) {
          this.options.logger.warn({ err: error.error, records: records.length }, 'batch refused by the database; applying record by record to find the cause');
          isolate = true;
          continue;
        }
        if (!isRetriableDatabaseError(error)) throw error;
        this.options.onError?.(error);
        this.options.logger.warn({ err: mapDatabaseError(error, this.options.databaseUrl), attempt }, 'database unavailable; retrying the batch');
        if (!isRunning()) throw error;
        await sleepWithHeartbeat(backoffDelay(this.retry, Math.min(attempt, 8)), heartbeat);
      }
    }
  }

  private async decodeAll(topic: string, partition: number, messages: KafkaMessage[], heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<SinkRecord[] | undefined> {
    const records: SinkRecord[] = [];
    for (const message of messages) {
      const record: SinkRecord = {
        topic,
        partition,
        offset: message.offset,
        key: message.key?.toString('utf8') ?? null,
        value: message.value,
        headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('utf8') : String(v)])),
        timestamp: Number(message.timestamp),
      };
      for (let attempt = 1; ; attempt++) {
        try {
          const decoded = await this.options.codec.decode(message.value, { routingKeyHeader: record.headers[Headers.routingKey] });
          record.event = decoded.event;
          record.schemaId = decoded.schemaId;
          break;
        } catch (error) {
          if (!isRetriable(error)) {
            record.decodeError = error;
            break;
          }
          // The registry is down; the record is fine. Waiting keeps the partition in order.
          this.options.logger.warn({ err: error, topic, partition, offset: message.offset }, 'cannot decode yet; retrying');
          if (!isRunning()) return undefined;
          await sleepWithHeartbeat(backoffDelay(this.retry, Math.min(attempt, 8)), heartbeat);
        }
      }
      records.push(record);
    }
    return records;
  }

  private async applyBatch(trx: Knex.Transaction, topic: string, partition: number, records: SinkRecord[], isolate: boolean): Promise<{ applied: number; skipped: number; rejected: number }> {
    const schema = await this.options.target.schema(trx);
    if (schema !== this.currentSchema) throw new ReseekNeeded();
    if (this.options.synchronousCommit === false) await trx.raw('set local synchronous_commit = off');
    const stored = (await readOffsets(trx, schema, this.options.consumer, { lock: true, only: { topic, partition } })).get(offsetKey(topic, partition));
    const stop = this.options.stopAt?.get(offsetKey(topic, partition));
    const fresh = records.filter((r) => (stored === undefined || BigInt(r.offset) >= stored) && (stop === undefined || BigInt(r.offset) < stop));
    // A first record beyond the stored offset means we were positioned wrongly: never skip ahead.
    if (stored !== undefined && fresh.length > 0 && BigInt(fresh[0]!.offset) > stored) throw new ReseekNeeded();
    if (fresh.length === 0) return { applied: 0, skipped: records.length, rejected: 0 };

    // Savepoints cost two round trips, so only a batch the database has refused once pays for them.
    const rejections = isolate ? await this.applyOneByOne(trx, schema, fresh) : await this.applyWhole(trx, schema, fresh);
    if (rejections.length > 0) await this.deadLetter(rejections);
    await writeOffsets(trx, schema, this.options.consumer, [{ topic, partition, nextOffset: BigInt(fresh.at(-1)!.offset) + 1n }]);
    return { applied: fresh.length - rejections.length, skipped: records.length - fresh.length, rejected: rejections.length };
  }

  private async applyWhole(trx: Knex.Transaction, schema: string, records: SinkRecord[]): Promise<Rejection[]> {
    try {
      return await this.options.target.apply(trx, schema, records);
    } catch (error) {
      throw isRetriableDatabaseError(error) ? error : new BatchRefused(error);
    }
  }

  /** Each record in its own savepoint, so a record the database refuses is rejected alone. */
  private async applyOneByOne(trx: Knex.Transaction, schema: string, records: SinkRecord[]): Promise<Rejection[]> {
    const rejections: Rejection[] = [];
    for (const record of records) {
      try {
        rejections.push(...(await trx.transaction((savepoint) => this.options.target.apply(savepoint, schema, [record]))));
      } catch (error) {
        if (isRetriableDatabaseError(error)) throw error;
        rejections.push({ record, error });
      }
    }
    return rejections;
  }

  private async deadLetter(rejections: Rejection[]): Promise<void> {
    const now = Date.now();
    await this.producer!.send({
      topic: this.options.deadLetterTopic,
      acks: -1,
      messages: rejections.map(({ record, error }) =>
        deadLetterMessage(
          { key: record.key === null ? null : Buffer.from(record.key), value: record.value, headers: record.headers, offset: record.offset, timestamp: String(record.timestamp), attributes: 0 },
          { topic: record.topic, partition: record.partition },
          { error, attempts: 1, subscription: this.options.consumer, service: this.options.consumer, failedAt: now },
        ),
      ),
    });
    for (const { record, error } of rejections) {
      this.options.logger.error({ err: error, topic: record.topic, partition: record.partition, offset: record.offset, eventId: record.event?.id }, 'record refused; sent to the dead-letter topic');
    }
  }

  /** One positioning at a time: concurrent batches that all find the sink unpositioned share it. */
  private reposition(): Promise<void> {
    this.positioning ??= this.seekAssigned().finally(() => {
      this.positioning = undefined;
    });
    return this.positioning;
  }

  /**
   * Positions every assigned partition at the offset Postgres holds for it, or at the start. A
   * stored offset outside the partition (beyond its end: the topic was recreated; before its
   * start: retention removed records) is reset to the start and rewritten, with a warning;
   * re-reading is safe because event ids deduplicate.
   */
  private async seekAssigned(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    const schema = await this.options.db.transaction((trx) => this.options.target.schema(trx));
    await createOffsetsTable(this.options.db, schema);
    const stored = await readOffsets(this.options.db, schema, this.options.consumer);
    const admin = this.options.kafka.admin();
    await admin.connect();
    const positions: { topic: string; partition: number; offset: bigint }[] = [];
    const corrections: { topic: string; partition: number; nextOffset: bigint }[] = [];
    try {
      for (const [topic, partitions] of this.assignment) {
        const bounds = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
        for (const partition of partitions) {
          const { low, high } = bounds.get(partition) ?? { low: 0n, high: 0n };
          const at = stored.get(offsetKey(topic, partition));
          if (at !== undefined && (at > high || at < low)) {
            this.options.logger.warn({ topic, partition, stored: at.toString(), low: low.toString(), high: high.toString() }, at > high ? 'stored offset is beyond the end of the partition (was the topic recreated?); reading it from the start' : 'stored offset is before the start of the partition (retention removed records); reading from the start');
            corrections.push({ topic, partition, nextOffset: low });
          }
          positions.push({ topic, partition, offset: at === undefined || at > high || at < low ? low : at });
        }
      }
    } finally {
      await admin.disconnect();
    }
    if (corrections.length > 0) await this.options.db.transaction((trx) => writeOffsets(trx, schema, this.options.consumer, corrections));
    for (const p of positions) consumer.seek({ topic: p.topic, partition: p.partition, offset: p.offset.toString() });
    this.currentSchema = schema;
    this.positioned = true;
    this.options.logger.info({ schema, partitions: [...this.assignment].map(([t, p]) => `${t}:${p.join(',')}`) }, 'positioned at the offsets stored in Postgres');
  }
}

const sleepWithHeartbeat = async (ms: number, heartbeat: () => Promise<void>): Promise<void> => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, Math.min(1000, until - Date.now())));
    await heartbeat().catch(() => undefined);
  }
};
