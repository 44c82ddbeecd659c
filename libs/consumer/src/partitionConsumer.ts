import type { Consumer, EachBatchPayload, Producer } from 'kafkajs';
import type { Knex } from 'knex';
import { offsetKey, isDatabaseSetupError, isRetriableDatabaseError, mapDatabaseError } from '@agentbus/postgres-sink';
import { retry } from '@agentbus/retry';
import { sendToDeadLetters } from './deadLetter';
import { decodeBatch } from './decodeBatch';
import { sendViolations } from './violations';
import { applyOneByOne, applyWhole, BatchRefused } from './isolate';
import { resolveOptions, type PartitionConsumerOptions, type ResolvedOptions } from './options';
import { postgresOffsets, type Position, type PositionStore } from './positions';
import type { Assignment, BatchReport, ConsumedRecord, Rejection } from './types';

export interface ConsumerHealthReport {
  running: boolean;
  /** `topic:partition,partition` per assigned topic. */
  assigned: string[];
  /** Whether the assigned partitions have been sought to the positions in Postgres. */
  positioned: boolean;
  lastBatchAt?: number;
  /** What the consumer is waiting for, while it waits. */
  waitingFor?: 'registry' | 'database';
}

class ReseekNeeded extends Error {}

/** When the batch's (last) transaction began, held its partitions' position locks, and had applied the records. */
interface TransactionTiming {
  began: number;
  locked: number;
  applied: number;
}

type Outcome = { applied: number; skipped: number; rejected: number; undecodable: number };
type MemberResult = { outcome: Outcome; phases: NonNullable<BatchReport['phases']>; transactionBatches: number };

/** A decoded partition batch waiting for its transaction. */
interface Member {
  payload: EachBatchPayload;
  offsets: bigint[];
  records: ConsumedRecord[];
  receivedAt: number;
  decodedAt: number;
  /** Called when its transaction begins (pipelined batches). */
  begun?: () => void;
  settle(result: MemberResult | undefined): void;
  fail(error: unknown): void;
}

/** How often the group's Kafka offsets are brought up to the positions stored in Postgres. */
const advisoryCommitEveryMs = 5000;

/** A group commit closes at this many records, so a burst makes several bounded transactions rather than one huge one. */
const maxGroupRecords = 10_000;

/** Heartbeats well inside the session timeout, as Kafka's own clients default to a third of it. */
const heartbeatFor = (sessionTimeout: number): number => Math.min(3000, Math.floor(sessionTimeout / 3));

/**
 * Kafka to Postgres, effectively once: the one consumer loop of every service. Each fetched
 * partition batch is decoded (registry outages waited out, heartbeating), applied by the target
 * in one transaction that also writes the partition's next position, and what the target or the
 * decoder refuses goes to the dead-letter topic with its reason. Records below the stored
 * position are skipped, so a redelivery after a crash changes nothing. Kafka's own committed
 * offsets are only advisory: on every assignment the consumer seeks to the positions in Postgres.
 */
export class PartitionConsumer<Context = void> {
  private readonly options: ResolvedOptions<Context>;
  private readonly positions: PositionStore;
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private assignment: Assignment = {};
  private currentSchema: string | undefined;
  private positioned = false;
  private positioning: Promise<void> | undefined;
  private running = false;
  private lastBatchAt: number | undefined;
  private waitingFor: ConsumerHealthReport['waitingFor'];
  private readonly advisory = new Map<string, { topic: string; partition: number; offset: string }>();
  private advisoryCommittedAt = Date.now();
  private advisoryTimer: NodeJS.Timeout | undefined;
  /** With `groupCommit`: the group the next batch joins, and the chain of groups being applied, one at a time. */
  private forming: Member[] | undefined;
  private applying: Promise<void> = Promise.resolve();
  /** Per `topic/partition`, the offset the next batch must start at: where it was sought, or the end of the last batch handled. */
  private readonly expected = new Map<string, bigint>();
  /**
   * Per `topic/partition`, the end of batches `select` passed over entirely, not yet in Postgres:
   * written with the partition's next transaction, or by the advisory timer.
   */
  private readonly deferred = new Map<string, Position>();

  constructor(options: PartitionConsumerOptions<Context>) {
    this.options = resolveOptions(options);
    this.positions = options.positions ?? postgresOffsets(options.name);
  }

  get isRunning(): boolean {
    return this.running;
  }

  health(): ConsumerHealthReport {
    return {
      running: this.running,
      assigned: Object.entries(this.assignment).map(([t, p]) => `${t}:${p.join(',')}`),
      positioned: this.positioned,
      ...(this.lastBatchAt === undefined ? {} : { lastBatchAt: this.lastBatchAt }),
      ...(this.waitingFor ? { waitingFor: this.waitingFor } : {}),
    };
  }

  async start(): Promise<void> {
    const { kafka, groupId, topics, consumerConfig, partitionAssigners } = this.options;
    this.producer = kafka.producer({ idempotent: true });
    await this.producer.connect();
    const sessionTimeout = consumerConfig?.sessionTimeout;
    const consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      ...(sessionTimeout === undefined ? {} : { heartbeatInterval: heartbeatFor(sessionTimeout) }),
      ...consumerConfig,
      ...(partitionAssigners ? { partitionAssigners } : {}),
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.assignment = payload.memberAssignment;
      this.positioned = false;
      this.expected.clear();
      this.deferred.clear();
      this.options.onAssigned?.(payload.memberAssignment);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) this.running = false;
      this.options.logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    this.running = true;
    // Kafka's committed offsets are advisory here (for kafka-consumer-groups and the like), so they are
    // committed every few seconds rather than once per batch: a broker round trip less per batch.
    this.advisoryTimer = setInterval(() => void this.commitAdvisory().catch(() => undefined), advisoryCommitEveryMs);
    this.advisoryTimer.unref();
    await consumer.run({ autoCommit: false, eachBatchAutoResolve: false, partitionsConsumedConcurrently: this.options.partitionsConcurrently, eachBatch: (payload) => this.handleBatch(payload) });
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.advisoryTimer);
    await this.commitAdvisory().catch(() => undefined);
    await this.consumer?.disconnect();
    // Pipelined transactions still running finish (the ones queued behind them see kafkajs stopped and drop their batches).
    await this.storePassedOver();
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
    const { logger, codec, retry: policy } = this.options;
    const records = await decodeBatch(
      codec,
      batch.topic,
      batch.partition,
      batch.messages,
      {
        policy,
        heartbeat,
        shouldStop: () => !isRunning() || isStale(),
        onRetry: (error, attempt) => {
          this.waitingFor = 'registry';
          logger.warn({ err: error, topic: batch.topic, partition: batch.partition, attempt }, 'cannot decode yet (registry unavailable); waiting, in order');
        },
      },
      this.options.select,
      this.options.identity?.verifier,
    );
    this.waitingFor = undefined;
    if (!records || !isRunning() || isStale()) return;
    const key = offsetKey(batch.topic, batch.partition);
    let result: MemberResult | undefined;
    if (this.options.select && records.length === 0 && this.options.stopAt === undefined && this.expected.get(key) === BigInt(batch.messages[0]!.offset)) {
      // Nothing here for the target (an orchestrator reading its own commands back): no transaction,
      // which would make the next batch wait. Its position rides on the partition's next one.
      this.deferred.set(key, { topic: batch.topic, partition: batch.partition, nextOffset: BigInt(batch.messages.at(-1)!.offset) + 1n });
      result = { outcome: { applied: 0, skipped: 0, rejected: 0, undecodable: 0 }, transactionBatches: 0, phases: { decodeMs: Date.now() - started, queueMs: 0, prepareMs: 0, beginMs: 0, applyMs: 0, commitMs: 0 } };
    } else if (this.options.groupCommit && this.options.pipeline) {
      // Pipelined: kafkajs fetches again only once every batch of a fetch is handled, so this handler
      // returns as soon as its transaction begins, and the next fetch overlaps it. The batch's offset
      // is resolved then; should the transaction fail, the consumer seeks back to Postgres' positions.
      let begun!: () => void;
      const beginning = new Promise<'begun'>((resolve) => (begun = () => resolve('begun')));
      const committed = this.join({ payload, offsets: batch.messages.map((m) => BigInt(m.offset)), records, receivedAt: started, decodedAt: Date.now(), begun });
      committed
        .then(
          (done) => (done ? this.completed(payload, done, started) : undefined),
          (error: unknown) => this.pipelineFailed(error),
        )
        .catch((error: unknown) => logger.error({ err: error }, 'reporting a batch failed'));
      if ((await Promise.race([beginning, committed.catch(() => undefined)])) !== 'begun') return;
      const last = batch.messages.at(-1)!.offset;
      this.expected.set(key, BigInt(last) + 1n);
      resolveOffset(last);
      return;
    } else {
      try {
        result = await this.join({ payload, offsets: batch.messages.map((m) => BigInt(m.offset)), records, receivedAt: started, decodedAt: Date.now() });
      } catch (error) {
        if (error instanceof ReseekNeeded) return this.reposition();
        throw error;
      }
      if (!result) return;
    }
    const last = batch.messages.at(-1)!.offset;
    this.expected.set(key, BigInt(last) + 1n);
    resolveOffset(last);
    await this.completed(payload, result, started);
  }

  /** A transaction of a pipelined batch failed after kafkajs moved on: back to the positions in Postgres. */
  private pipelineFailed(error: unknown): void {
    if (!(error instanceof ReseekNeeded)) this.options.logger.error({ err: error }, 'applying a batch failed; seeking back to the positions stored in Postgres');
    this.positioned = false;
    void this.reposition().catch((e: unknown) => this.options.logger.error({ err: e }, 'could not reposition after a failed batch; the next batch tries again'));
  }

  /** After a batch's transaction: its Kafka offset (advisory), health and report. */
  private async completed(payload: EachBatchPayload, result: MemberResult, started: number): Promise<void> {
    const { batch } = payload;
    const { logger } = this.options;
    const key = offsetKey(batch.topic, batch.partition);
    const last = batch.messages.at(-1)!.offset;
    // Its position, written in that transaction, is beyond any passed over before it.
    if (result.transactionBatches > 0 && (this.deferred.get(key)?.nextOffset ?? 0n) <= BigInt(last) + 1n) this.deferred.delete(key);
    this.lastBatchAt = Date.now();
    this.advisory.set(offsetKey(batch.topic, batch.partition), { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() });
    if (this.lastBatchAt - this.advisoryCommittedAt >= advisoryCommitEveryMs) await this.commitAdvisory().catch((error: unknown) => logger.debug({ err: error }, 'advisory Kafka offset commit failed; Postgres holds the positions'));
    this.options.onBatch?.({
      topic: batch.topic,
      partition: batch.partition,
      fetched: batch.messages.length,
      ...result.outcome,
      durationMs: this.lastBatchAt - started,
      firstTimestamp: Number(batch.messages[0]!.timestamp),
      receivedAt: started,
      phases: result.phases,
      transactionBatches: result.transactionBatches,
      lag: Math.max(0, Number(BigInt(batch.highWatermark) - BigInt(last) - 1n)),
      nextOffset: BigInt(last) + 1n,
    });
  }

  /**
   * Applies a decoded batch: alone, at once, or with `groupCommit` in the next transaction, which
   * the batches kafkajs hands over meanwhile (other partitions) join. Settles with the batch's
   * outcome, or undefined when it went stale first.
   */
  private join(member: Omit<Member, 'settle' | 'fail' | 'begun'> & { begun?: () => void }): Promise<MemberResult | undefined> {
    return new Promise((settle, fail) => {
      const joined: Member = { ...member, settle, fail };
      if (!this.options.groupCommit) return void this.applyGroup([joined]);
      if (this.forming && this.forming.reduce((n, m) => n + m.records.length, 0) < maxGroupRecords) return void this.forming.push(joined);
      const group = [joined];
      this.forming = group;
      // setImmediate: the batches of one fetch that kafkajs starts together all join before it closes.
      this.applying = this.applying
        .then(() => new Promise<void>((resolve) => setImmediate(resolve)))
        .then(() => {
          if (this.forming === group) this.forming = undefined;
          return this.applyGroup(group);
        });
    });
  }

  /** One transaction for the batches of `group`; settles each of them, never rejects. */
  private async applyGroup(group: Member[]): Promise<void> {
    const live: Member[] = [];
    for (const m of group) {
      if (m.payload.isRunning() && !m.payload.isStale()) live.push(m);
      else m.settle(undefined);
    }
    if (live.length === 0) return;
    for (const m of live) m.begun?.();
    const { logger, retry: policy } = this.options;
    const first = live[0]!.payload;
    const records = live.length === 1 ? live[0]!.records : live.flatMap((m) => m.records);
    const began = Date.now();
    try {
      const context = (await this.options.target.prepare?.(records)) as Context;
      const preparedAt = Date.now();
      const timing: TransactionTiming = { began: preparedAt, locked: preparedAt, applied: preparedAt };
      let isolate = false;
      const outcomes = await retry(
        async () => {
          try {
            timing.began = Date.now();
            return await this.options.db.transaction((trx) => this.applyMembers(trx, live, records, context, isolate, timing));
          } catch (error) {
            if (!(error instanceof BatchRefused) || isolate) throw error;
            logger.warn({ err: error.error, records: records.length }, 'batch refused by the database; applying record by record to find the cause');
            isolate = true;
            timing.began = Date.now();
            return this.options.db.transaction((trx) => this.applyMembers(trx, live, records, context, isolate, timing));
          }
        },
        {
          policy,
          // A refusal of the service itself (a revoked grant, a read-only server) would refuse every
          // record alike: wait for the operator instead of dead-lettering the stream.
          isRetriable: (error) => isRetriableDatabaseError(error) || isDatabaseSetupError(error),
          heartbeat: first.heartbeat,
          shouldStop: () => !first.isRunning(),
          onRetry: (error, attempt) => {
            this.waitingFor = 'database';
            this.options.onDatabaseError?.(error);
            const at = live.map((m) => `${m.payload.batch.topic}:${m.payload.batch.partition}`);
            if (isDatabaseSetupError(error)) logger.error({ err: error, batches: at, attempt }, 'the database refuses this service (a grant, table or schema is missing, or it is read-only); retrying the batch until that is fixed');
            else logger.warn({ err: mapDatabaseError(error, this.options.databaseUrl), attempt }, 'database unavailable; retrying the batch');
          },
        },
      );
      this.waitingFor = undefined;
      const committedAt = Date.now();
      live.forEach((m, i) =>
        m.settle({
          outcome: outcomes[i]!,
          transactionBatches: live.length,
          phases: {
            decodeMs: m.decodedAt - m.receivedAt,
            queueMs: began - m.decodedAt,
            prepareMs: preparedAt - began,
            beginMs: timing.locked - timing.began,
            applyMs: timing.applied - timing.locked,
            commitMs: committedAt - timing.applied,
          },
        }),
      );
    } catch (error) {
      this.waitingFor = undefined;
      for (const m of live) m.fail(error);
    }
  }

  private async applyMembers(trx: Knex.Transaction, members: Member[], records: ConsumedRecord[], context: Context, isolate: boolean, timing: TransactionTiming): Promise<Outcome[]> {
    const schema = await this.options.target.schema(trx);
    if (schema !== this.currentSchema) throw new ReseekNeeded();
    if (this.options.synchronousCommit === false) await trx.raw('set local synchronous_commit = off');
    const fresh: { member: Member; offsets: bigint[]; isFresh: (offset: bigint) => boolean }[] = [];
    const locked = members.length > 1 ? await this.lockPositions(trx, schema, members.map((m) => m.payload.batch)) : undefined;
    for (const member of members) {
      const { topic, partition } = member.payload.batch;
      const inPostgres = locked ? locked.get(offsetKey(topic, partition)) : await this.positions.lock(trx, schema, topic, partition);
      // The batches passed over before this one were checked against `expected` on the way: it may
      // start where they end. A batch that came before them (pipelined, still waiting) may not.
      const passedOver = this.deferred.get(offsetKey(topic, partition))?.nextOffset;
      const after = passedOver !== undefined && member.offsets[0]! >= passedOver && (inPostgres === undefined || passedOver > inPostgres);
      const stored = after ? passedOver : inPostgres;
      const stop = this.options.stopAt?.get(offsetKey(topic, partition));
      const isFresh = (offset: bigint) => (stored === undefined || offset >= stored) && (stop === undefined || offset < stop);
      const offsets = member.offsets.filter(isFresh);
      // A first record beyond the stored position means we were positioned wrongly: never skip ahead.
      if (stored !== undefined && offsets.length > 0 && offsets[0]! > stored) throw new ReseekNeeded();
      fresh.push({ member, offsets, isFresh });
    }
    timing.locked = timing.applied = Date.now();
    const candidates = members.length === 1 ? records.filter((r) => fresh[0]!.isFresh(BigInt(r.offset))) : fresh.flatMap((f) => f.member.records.filter((r) => f.isFresh(BigInt(r.offset))));
    if (fresh.every((f) => f.offsets.length === 0)) return fresh.map((f) => ({ applied: 0, skipped: f.member.offsets.length, rejected: 0, undecodable: 0 }));

    const keep = this.options.undecodable === 'keep';
    const undecodable: Rejection[] = keep ? [] : candidates.filter((r) => r.decodeError !== undefined).map((r) => ({ record: r, error: r.decodeError }));
    const decoded = keep ? candidates : candidates.filter((r) => r.decodeError === undefined);
    const apply = (t: Knex.Transaction, rs: ConsumedRecord[]) => this.options.target.apply(t, schema, rs, context);
    const refused = decoded.length === 0 ? [] : isolate ? await applyOneByOne(trx, decoded, apply) : await applyWhole(trx, decoded, apply);
    const rejections = [...undecodable, ...refused];
    await sendToDeadLetters(this.producer!, this.options.deadLetterTopic, rejections, { service: this.options.name, logger: this.options.logger, now: Date.now() });
    if (this.options.identity) await sendViolations(this.producer!, this.options.codec, rejections, { reporter: this.options.name, signingKey: this.options.identity.signingKey });
    timing.applied = Date.now();
    await this.positions.write(
      trx,
      schema,
      fresh.filter((f) => f.offsets.length > 0).map((f) => ({ topic: f.member.payload.batch.topic, partition: f.member.payload.batch.partition, nextOffset: f.offsets.at(-1)! + 1n })),
    );
    return fresh.map(({ member, offsets }) => {
      const { topic, partition } = member.payload.batch;
      const mine = (r: ConsumedRecord) => r.topic === topic && r.partition === partition;
      const applying = candidates.filter(mine);
      const rejected = rejections.filter((x) => mine(x.record)).length;
      return { applied: applying.length - rejected, skipped: member.offsets.length - offsets.length, rejected, undecodable: applying.filter((r) => r.decodeError !== undefined).length };
    });
  }

  /**
   * Stores the positions of partitions whose last batches were all passed over, so a restart does
   * not read them again. Never moves a position back: a batch's transaction may have stored more.
   */
  private async writeDeferred(): Promise<void> {
    const schema = this.currentSchema;
    if (this.deferred.size === 0 || schema === undefined) return;
    const pending = [...this.deferred.values()];
    await this.options.db.transaction(async (trx) => {
      const stored = await this.lockPositions(trx, schema, pending);
      await this.positions.write(trx, schema, pending.filter((p) => (stored.get(offsetKey(p.topic, p.partition)) ?? -1n) < p.nextOffset));
    });
    for (const p of pending) if (this.deferred.get(offsetKey(p.topic, p.partition)) === p) this.deferred.delete(offsetKey(p.topic, p.partition));
  }

  private async lockPositions(trx: Knex.Transaction, schema: string, partitions: readonly { topic: string; partition: number }[]): Promise<Map<string, bigint>> {
    if (this.positions.lockAll) return this.positions.lockAll(trx, schema, partitions);
    const stored = new Map<string, bigint>();
    for (const { topic, partition } of partitions) {
      const at = await this.positions.lock(trx, schema, topic, partition);
      if (at !== undefined) stored.set(offsetKey(topic, partition), at);
    }
    return stored;
  }

  /** `writeDeferred` once the pipelined batches before the passed-over ones are stored, lest it store a position beyond them. */
  private async storePassedOver(): Promise<void> {
    await this.applying;
    await this.writeDeferred().catch((error: unknown) => this.options.logger.debug({ err: error }, 'could not store the positions of passed-over batches yet; they go with the next transaction'));
  }

  private async commitAdvisory(): Promise<void> {
    await this.storePassedOver();
    this.advisoryCommittedAt = Date.now();
    const offsets = [...this.advisory.values()];
    this.advisory.clear();
    if (offsets.length > 0 && this.consumer) await this.consumer.commitOffsets(offsets);
  }

  /** One positioning at a time: concurrent batches that all find the consumer unpositioned share it. */
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
    const { db, kafka, logger, target } = this.options;
    const schema = await db.transaction((trx) => target.schema(trx));
    await this.positions.prepare(db, schema);
    const stored = await this.positions.read(db, schema);
    const admin = kafka.admin();
    await admin.connect();
    const seeks: Position[] = [];
    const corrections: Position[] = [];
    try {
      for (const [topic, partitions] of Object.entries(this.assignment)) {
        const bounds = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
        for (const partition of partitions) {
          const { low, high } = bounds.get(partition) ?? { low: 0n, high: 0n };
          const at = stored.get(offsetKey(topic, partition));
          const waitForEnd = at !== undefined && at > high && this.positions.beyondEnd === 'wait';
          const outside = at !== undefined && (at > high || at < low) && !waitForEnd;
          if (waitForEnd) {
            logger.error({ topic, partition, stored: at.toString(), high: high.toString() }, 'the stored position is beyond the end of the partition (was the topic recreated?); skipping records until the partition reaches it rather than taking an offset twice');
          } else if (outside) {
            logger.warn({ topic, partition, stored: at.toString(), low: low.toString(), high: high.toString() }, at > high ? 'stored offset is beyond the end of the partition (was the topic recreated?); reading it from the start' : 'stored offset is before the start of the partition (retention removed records); reading from the start');
            corrections.push({ topic, partition, nextOffset: low });
          }
          seeks.push({ topic, partition, nextOffset: at === undefined || outside || waitForEnd ? low : at });
        }
      }
    } finally {
      await admin.disconnect();
    }
    if (corrections.length > 0) await db.transaction((trx) => this.positions.write(trx, schema, corrections));
    this.deferred.clear();
    for (const s of seeks) {
      this.expected.set(offsetKey(s.topic, s.partition), s.nextOffset);
      consumer.seek({ topic: s.topic, partition: s.partition, offset: s.nextOffset.toString() });
    }
    this.currentSchema = schema;
    this.positioned = true;
    logger.info({ schema, partitions: this.health().assigned }, 'positioned at the offsets stored in Postgres');
  }
}
