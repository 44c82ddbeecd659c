import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { Knex } from 'knex';
import { chainRecords, toAuditRecord, type AuditRecord, type DecodeOutcome } from '@agentbus/audit';
import { backoffDelay, defaultRetryPolicy, Headers, type RetryPolicy } from '@agentbus/bus';
import type { AvroEventCodec } from '@agentbus/codec';
import { isRetriable } from '@agentbus/events';
import type { Logger } from '@agentbus/logger';
import { isRetriableDatabaseError, mapDatabaseError } from '@agentbus/postgres-sink';
import { headOrEmpty, insertChained, lockHead, readHeads, writeHead } from './auditStore';

export interface AuditBatchReport {
  topic: string;
  partition: number;
  fetched: number;
  stored: number;
  undecodable: number;
  skipped: number;
  durationMs: number;
  lag: number;
}

export interface AuditSinkOptions {
  kafka: Kafka;
  codec: AvroEventCodec;
  db: Knex;
  databaseUrl: string;
  groupId: string;
  topics: readonly string[];
  logger: Logger;
  /** Partitions stored at the same time, each in its own transaction. */
  partitionsConsumedConcurrently: number;
  retry?: Partial<RetryPolicy>;
  sessionTimeout?: number;
  heartbeatInterval?: number;
  onBatch?: (report: AuditBatchReport) => void;
  onDatabaseError?: (error: unknown) => void;
}

class ReseekNeeded extends Error {
  constructor(readonly expected: bigint | undefined, readonly first: bigint) {
    super(`batch starts at offset ${first}, the chain continues at ${expected ?? 'an unknown offset'}`);
  }
}

/** kafkajs sends a heartbeat only once per heartbeat interval, however often it is asked. */
const heartbeatEveryRecords = 100;

// 23505 unique_violation: another sink instance appended to the same chain first (a rebalance
// overlap). Retrying re-reads the head and skips what it stored.
const isRetriableWrite = (error: unknown): boolean => isRetriableDatabaseError(error) || (error as { code?: unknown })?.code === '23505';

/**
 * Kafka to the audit trail, effectively once, for raw records: the sink decodes each record
 * itself and stores what it cannot decode with the error, so nothing goes to a dead-letter
 * topic and nothing is skipped. Per partition batch, one transaction appends the rows to the
 * partition's hash chain and moves its head, which is also the consumer offset; on every
 * assignment the consumer seeks to the heads stored in Postgres.
 *
 * Not TransactionalSink: that sink dead-letters what its target refuses, creates its offsets
 * table at run time (the writer role may not) and locks every offset row of the consumer per
 * batch, which serialises partitions; here each partition locks only its own head.
 */
export class AuditSink {
  private consumer: Consumer | undefined;
  private assignment = new Map<string, number[]>();
  /** Counts the group (re)joins: a seek computed for an earlier assignment must not mark this one positioned. */
  private generation = 0;
  private positioned = false;
  private running = false;
  /** The offset each partition was last sought to: a first record beyond it is a real gap (a control record, retention). */
  private soughtTo = new Map<string, bigint>();
  /** Per partition, the batch being stored; resolves to whether it was stored. */
  private storing = new Map<string, Promise<boolean>>();
  private readonly retry: RetryPolicy;

  constructor(private readonly options: AuditSinkOptions) {
    this.retry = { ...defaultRetryPolicy, maxDelayMs: 5000, ...options.retry };
  }

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    const { kafka, groupId, topics } = this.options;
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      ...(this.options.sessionTimeout ? { sessionTimeout: this.options.sessionTimeout } : {}),
      ...(this.options.heartbeatInterval ? { heartbeatInterval: this.options.heartbeatInterval } : {}),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assignment = new Map(Object.entries(payload.memberAssignment));
      this.generation++;
      this.positioned = false;
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => this.options.logger.error({ err: payload.error, restart: payload.restart }, 'audit consumer crashed'));
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    this.running = true;
    // Every fetch brings a batch from each assigned partition (up to maxBytesPerPartition), and
    // several partitions are stored at once: a busy topic cannot hold back a quiet one.
    await consumer.run({ eachBatchAutoResolve: false, partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently, eachBatch: (payload) => this.handleBatch(payload) });
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.consumer?.disconnect();
    await Promise.all(this.storing.values());
  }

  /**
   * Decodes and hashes a batch while the partition's previous batch is still being committed,
   * then hands the store to the background and returns, so kafkajs fetches the next batch at
   * once. A partition never has more than one batch in Postgres at a time, and a batch is
   * stored only if the one before it was: otherwise the partition has been sought back to its
   * head in Postgres and the batch is dropped, to be fetched again.
   */
  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, isRunning, isStale, heartbeat, resolveOffset } = payload;
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    if (!this.positioned) {
      // First batch after a (re)join: the group's Kafka offsets may disagree with Postgres. A
      // failed seek leaves the sink unpositioned, so the next batch tries again.
      await this.seekAssigned().catch((error: unknown) => this.options.logger.error({ err: error }, 'could not seek to the heads in Postgres; trying again with the next batch'));
      return;
    }
    const key = `${batch.topic}/${batch.partition}`;
    const started = Date.now();
    const records = await this.decodeAll(batch.topic, batch.partition, batch.messages, heartbeat, isRunning);
    if (!records) return;
    const previous = this.storing.get(key);
    if (previous && !(await withHeartbeats(previous, heartbeat))) {
      // The previous batch was not stored and the partition has been sought back to its head in
      // Postgres: this batch, fetched before that, is dropped. The failure is forgotten with it;
      // kept, it would drop every later batch of the partition too, which would never be stored.
      if (this.storing.get(key) === previous) this.storing.delete(key);
      return;
    }
    if (!isRunning() || isStale()) return;
    const last = batch.messages.at(-1)!.offset;
    this.storing.set(key, this.storeBatch(batch.topic, batch.partition, records, { started, last, highWatermark: batch.highWatermark, heartbeat, isRunning }));
    // Kafka's position only: where the sink resumes after a restart or rebalance is the head in Postgres.
    resolveOffset(last);
  }

  private async storeBatch(
    topic: string,
    partition: number,
    records: AuditRecord[],
    batch: { started: number; last: string; highWatermark: string; heartbeat: () => Promise<void>; isRunning: () => boolean },
  ): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        const outcome = await this.options.db.transaction((trx) => this.store(trx, topic, partition, records));
        this.options.onBatch?.({
          topic,
          partition,
          fetched: records.length,
          stored: outcome.stored,
          undecodable: outcome.undecodable,
          skipped: records.length - outcome.stored,
          durationMs: Date.now() - batch.started,
          lag: Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(batch.last) - 1n)),
        });
        return true;
      } catch (error) {
        if (error instanceof ReseekNeeded) {
          this.options.logger.warn({ topic, partition, first: error.first.toString(), expected: error.expected?.toString() }, 'batch does not continue the chain; reading the partition again from its head in Postgres');
          return this.reseek();
        }
        if (!isRetriableWrite(error)) {
          this.options.logger.error({ err: error, topic, partition, offset: records[0]?.offset }, 'could not store the batch; reading the partition again from its head in Postgres');
          await sleepWithHeartbeat(backoffDelay(this.retry, 8), batch.heartbeat);
          return this.reseek();
        }
        this.options.onDatabaseError?.(error);
        this.options.logger.warn({ err: mapDatabaseError(error, this.options.databaseUrl), attempt }, 'database unavailable; retrying the batch');
        if (!batch.isRunning() || !this.running) return false;
        await sleepWithHeartbeat(backoffDelay(this.retry, Math.min(attempt, 8)), batch.heartbeat);
      }
    }
  }

  private async reseek(): Promise<false> {
    if (this.running) await this.seekAssigned().catch((error: unknown) => this.options.logger.error({ err: error }, 'could not seek to the heads in Postgres'));
    return false;
  }

  private async decodeAll(topic: string, partition: number, messages: KafkaMessage[], heartbeat: () => Promise<void>, isRunning: () => boolean): Promise<AuditRecord[] | undefined> {
    const records: AuditRecord[] = new Array(messages.length);
    for (let i = 0; i < messages.length; i++) {
      // A large batch on a busy machine can take longer than the session: without a heartbeat the
      // broker evicts the member, the batch is dropped as stale, and the next join fetches it again.
      if (i > 0 && i % heartbeatEveryRecords === 0) await heartbeat().catch(() => undefined);
      const message = messages[i]!;
      let outcome: DecodeOutcome;
      for (let attempt = 1; ; attempt++) {
        try {
          outcome = await this.options.codec.decode(message.value, { routingKeyHeader: message.headers?.[Headers.routingKey]?.toString() });
          break;
        } catch (error) {
          if (!isRetriable(error)) {
            outcome = { error };
            break;
          }
          // The registry is down; the record is fine. Waiting keeps the partition's chain in order.
          this.options.logger.warn({ err: error, topic, partition, offset: message.offset }, 'cannot decode yet; retrying');
          if (!isRunning()) return undefined;
          await sleepWithHeartbeat(backoffDelay(this.retry, Math.min(attempt, 8)), heartbeat);
        }
      }
      records[i] = toAuditRecord({ topic, partition, offset: message.offset, timestamp: message.timestamp, key: message.key, value: message.value, headers: message.headers }, outcome);
    }
    return records;
  }

  private async store(trx: Knex.Transaction, topic: string, partition: number, records: AuditRecord[]): Promise<{ stored: number; undecodable: number }> {
    const key = `${topic}/${partition}`;
    const head = await lockHead(trx, topic, partition);
    const sought = this.soughtTo.get(key);
    // A partition without a head has stored nothing yet: it starts where we positioned it (the
    // start of the partition). Without that, a batch fetched from a Kafka offset that a killed
    // sink had committed ahead of Postgres would start the chain there, losing what came before.
    const next = head?.nextOffset ?? sought;
    if (next === undefined) throw new ReseekNeeded(undefined, BigInt(records[0]!.offset));
    const fresh = records.filter((r) => BigInt(r.offset) >= next);
    if (fresh.length === 0) return { stored: 0, undecodable: 0 };
    // A first record beyond the head means we were positioned wrongly (never skip ahead), unless
    // we sought past the head ourselves because retention had removed what lay between.
    const first = BigInt(fresh[0]!.offset);
    if (first > next && !(sought !== undefined && sought > next && first >= sought)) throw new ReseekNeeded(next, first);
    const chained = chainRecords(headOrEmpty(head), fresh);
    await insertChained(trx, topic, partition, chained.rows);
    await writeHead(trx, topic, partition, chained.head, BigInt(fresh.at(-1)!.offset) + 1n);
    return { stored: fresh.length, undecodable: fresh.filter((r) => r.decodeError !== null).length };
  }

  /**
   * Positions every assigned partition at the head stored in Postgres, or at the partition's
   * start. A head before the start (retention removed records) moves to the start: the chain
   * continues, and the gap in offsets is visible in the trail.
   */
  private async seekAssigned(): Promise<void> {
    const consumer = this.consumer;
    if (!consumer) return;
    const { generation, assignment } = this;
    const heads = await readHeads(this.options.db);
    const admin = this.options.kafka.admin();
    await admin.connect();
    const positions: { topic: string; partition: number; offset: bigint }[] = [];
    try {
      for (const [topic, partitions] of assignment) {
        const bounds = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
        for (const partition of partitions) {
          const { low, high } = bounds.get(partition) ?? { low: 0n, high: 0n };
          const at = heads.get(`${topic}/${partition}`)?.nextOffset;
          if (at !== undefined && at > high) {
            this.options.logger.error({ topic, partition, stored: at.toString(), high: high.toString() }, 'the audit trail is ahead of the partition (was the topic recreated?); waiting for it to catch up rather than breaking the chain');
          } else if (at !== undefined && at < low) {
            this.options.logger.warn({ topic, partition, stored: at.toString(), low: low.toString() }, 'records were removed by retention before they were stored; continuing from the start of the partition');
          }
          positions.push({ topic, partition, offset: at === undefined || at < low ? low : at });
        }
      }
    } finally {
      await admin.disconnect();
    }
    // The group rebalanced while we read: these positions are for partitions we may no longer
    // hold, and the new assignment's first batch seeks again.
    if (generation !== this.generation) return;
    for (const p of positions) {
      consumer.seek({ topic: p.topic, partition: p.partition, offset: p.offset.toString() });
      this.soughtTo.set(`${p.topic}/${p.partition}`, p.offset);
    }
    this.positioned = true;
    this.options.logger.info({ partitions: [...assignment].map(([t, p]) => `${t}:${p.join(',')}`) }, 'positioned at the chain heads stored in Postgres');
  }
}

/** Awaits `work` while keeping the group membership alive, for work that may outlast the session. */
const withHeartbeats = async <T>(work: Promise<T>, heartbeat: () => Promise<void>): Promise<T> => {
  let done = false;
  const settled = work.finally(() => (done = true));
  while (!done) {
    await Promise.race([settled.catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
    if (!done) await heartbeat().catch(() => undefined);
  }
  return settled;
};

const sleepWithHeartbeat = async (ms: number, heartbeat: () => Promise<void>): Promise<void> => {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await new Promise((r) => setTimeout(r, Math.min(1000, until - Date.now())));
    await heartbeat().catch(() => undefined);
  }
};
