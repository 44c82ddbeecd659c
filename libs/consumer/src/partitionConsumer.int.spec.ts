import type { Knex } from 'knex';
import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { deadLetterTopicSuffix, topicName } from '@agentbus/events';
import { createDatabase, readOffsets, writeOffsets, createOffsetsTable, offsetKey } from '@agentbus/postgres-sink';
import { captureLogger, createTestDatabase, createTestTopics, groupCaughtUp, integrationConfig, registryProxy, type TestDatabase, type TestTopics } from '@agentbus/testing';
import { PartitionConsumer, type Assignment, type BatchReport, type ConsumerTarget, type PartitionConsumerOptions } from './index';

const schema = 'engine_test';
const name = 'engine-test';
const eventually = async (probe: () => Promise<boolean> | boolean, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

/** A fake target: one row per applied record; a description with a NUL byte is refused by Postgres (text cannot hold it). */
const fakeTarget = (): ConsumerTarget => ({
  schema: async () => schema,
  apply: async (trx, s, records) => {
    const rows = records.map((r) => ({ topic: r.topic, partition: r.partition, offset: Number(r.offset), event_id: r.event!.id, description: String((r.event!.payload as { description?: string }).description ?? '') }));
    if (rows.length > 0) await trx.withSchema(s).table('applied').insert(rows);
    return [];
  },
});

describe('PartitionConsumer', () => {
  const config = integrationConfig();
  let topics: TestTopics;
  let database: TestDatabase;
  let db: Knex;
  let bus: KafkaEventBus;
  let consumer: PartitionConsumer | undefined;
  let taskTopic: string;
  let groupId: string;
  const { logger, lines: logLines } = captureLogger('consumer-test', 'warn');

  const start = async (overrides: Partial<PartitionConsumerOptions> = {}) => {
    groupId = `${topics.prefix}.${name}.${Math.random().toString(36).slice(2, 8)}`;
    consumer = new PartitionConsumer({
      kafka: topics.kafka,
      codec: new AvroEventCodec({ registry: createRegistryClient(config.registry), catalog: loadSchemaCatalog(), topicPrefix: topics.prefix }),
      db,
      databaseUrl: database.url,
      name,
      groupId,
      topics: [taskTopic],
      target: fakeTarget(),
      deadLetterTopic: topicName(topics.prefix, deadLetterTopicSuffix),
      logger,
      retry: { initialDelayMs: 100, maxDelayMs: 500 },
      consumerConfig: { maxWaitTimeInMs: 100 },
      ...overrides,
    });
    await consumer.start();
    return consumer;
  };
  const applied = async () => (await db.withSchema(schema).from('applied').select('offset', 'event_id').orderBy('offset')) as { offset: number; event_id: string }[];
  const publish = (n: number, taskId = 'task-1', description = (i: number) => `task ${i}`) =>
    bus.publishMany(Array.from({ length: n }, (_, i) => ({ type: 'task.created' as const, source: 'planner', payload: { taskId, description: description(i), priority: 'low', domain: null } })));
  const deadLetters = () => bus.deadLetters.list();

  beforeEach(async () => {
    // One partition, so offsets are simple to reason about.
    topics = await createTestTopics('consumer', config, 1);
    taskTopic = topicName(topics.prefix, 'task');
    database = await createTestDatabase('consumer', config.databaseUrl);
    db = createDatabase({ url: database.url, poolMax: 4 });
    await db.raw('create schema ??', [schema]);
    await db.schema.withSchema(schema).createTable('applied', (t) => {
      t.text('topic');
      t.integer('partition');
      t.bigInteger('offset');
      t.text('event_id');
      t.text('description');
    });
    bus = createKafkaEventBus({ connection: { ...config, topicPrefix: topics.prefix }, service: 'consumer-test', logger });
    await bus.registerSchemas();
    logLines.length = 0;
  });
  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
    await bus.close();
    await db.destroy();
    await topics.cleanup();
    await database.drop();
  });

  it('resumes from the offsets stored in Postgres, not Kafka’s, and skips what it already applied', async () => {
    await publish(10);
    await createOffsetsTable(db, schema);
    await db.transaction((trx) => writeOffsets(trx, schema, name, [{ topic: taskTopic, partition: 0, nextOffset: 4n }]));
    await start();
    await eventually(async () => (await applied()).length >= 6, 30_000, 'records 4 to 9');
    expect((await applied()).map((r) => Number(r.offset))).toEqual([4, 5, 6, 7, 8, 9]);
    await consumer!.stop();

    // A new group has no Kafka offsets at all: only Postgres says where to go on.
    await start();
    await publish(2);
    await eventually(async () => (await applied()).length >= 8, 30_000, 'the two new records');
    await new Promise((r) => setTimeout(r, 500));
    expect((await applied()).map((r) => Number(r.offset))).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    expect((await readOffsets(db, schema, name)).get(offsetKey(taskTopic, 0))).toBe(12n);
    // Kafka's offsets are advisory, committed every few seconds rather than per batch, but they do follow.
    await eventually(() => groupCaughtUp(topics.kafka, groupId, taskTopic), 30_000, 'the group committed to the end in Kafka too');
  });

  it('corrects a stored offset beyond the end of the partition, with a warning, and reads from the start', async () => {
    await publish(3);
    await createOffsetsTable(db, schema);
    await db.transaction((trx) => writeOffsets(trx, schema, name, [{ topic: taskTopic, partition: 0, nextOffset: 1000n }]));
    await start();
    await eventually(async () => (await applied()).length >= 3, 30_000, 'all three records');
    expect((await applied()).map((r) => Number(r.offset))).toEqual([0, 1, 2]);
    expect(logLines.some((l) => l.level === 'warn' && /beyond the end of the partition/.test(l.msg))).toBe(true);
  });

  it('applies a batch the database refuses record by record and dead-letters only the bad record, with its reason; an undecodable record is dead-lettered with its code', async () => {
    const junk = topics.kafka.producer();
    await junk.connect();
    await junk.send({ topic: taskTopic, messages: [{ key: 'task-1', value: Buffer.from('not an event') }] });
    await junk.disconnect();
    await publish(5, 'task-1', (i) => (i === 2 ? 'a NUL \u0000 byte' : `task ${i}`));
    const reports: BatchReport[] = [];
    const assignments: Assignment[] = [];
    await start({ onBatch: (r) => reports.push(r), onAssigned: (a) => assignments.push(a) });
    const stored = () => readOffsets(db, schema, name).catch(() => new Map<string, bigint>());
    await eventually(async () => (await stored()).get(offsetKey(taskTopic, 0)) === 6n, 30_000, 'all six records');
    expect((await applied()).map((r) => Number(r.offset))).toEqual([1, 2, 4, 5]);
    await eventually(async () => (await deadLetters()).length >= 2, 30_000, 'two dead letters');
    const dead = await deadLetters();
    expect(dead.map((d) => Number(d.sourceOffset)).sort()).toEqual([0, 3]);
    expect(dead.find((d) => d.sourceOffset === '0')!.code).toBe('EVENT_UNDECODABLE');
    expect(dead.find((d) => d.sourceOffset === '3')!.reason).toMatch(/0x00|invalid byte sequence|NUL/i);
    expect(dead.every((d) => d.service === name)).toBe(true);

    expect(assignments).toEqual([{ [taskTopic]: [0] }]);
    expect(reports.reduce((n, r) => n + r.fetched, 0)).toBe(6);
    expect(reports.reduce((n, r) => n + r.rejected, 0)).toBe(2);
    expect(reports.at(-1)!.lag).toBe(0);
    // Where each batch's time went: the phases cover the batch, and its first record was written before it arrived.
    for (const r of reports) {
      const { decodeMs, queueMs, prepareMs, beginMs, applyMs, commitMs } = r.phases!;
      expect(Math.min(decodeMs, queueMs, prepareMs, beginMs, applyMs, commitMs)).toBeGreaterThanOrEqual(0);
      expect(decodeMs + queueMs + prepareMs + beginMs + applyMs + commitMs).toBeLessThanOrEqual(r.durationMs);
      expect(r.firstTimestamp).toBeLessThanOrEqual(r.receivedAt);
      expect(r.firstTimestamp).toBeGreaterThan(Date.now() - 600_000);
    }
    expect(consumer!.health()).toMatchObject({ running: true, positioned: true, assigned: [`${taskTopic}:0`] });
    expect(consumer!.health().lastBatchAt).toBeGreaterThan(0);
  });

  it('with groupCommit applies the batches of several partitions in one transaction, each position its own, and isolates a refused record across them', async () => {
    const agentTopic = topicName(topics.prefix, 'agent');
    const calls: { partitions: Set<string>; records: number }[] = [];
    const target = fakeTarget();
    const counting: ConsumerTarget = { ...target, apply: (trx, s, records, context) => (calls.push({ partitions: new Set(records.map((r) => `${r.topic}/${r.partition}`)), records: records.length }), target.apply(trx, s, records, context)) };
    const heartbeats = (n: number) => bus.publishMany(Array.from({ length: n }, (_, i) => ({ type: 'agent.heartbeat' as const, source: `agent-${i}`, payload: { agentId: `agent-${i}`, status: 'healthy' as const, load: 0.1, memoryUsageBytes: 1, inFlight: 0 } })));
    const stored = () => readOffsets(db, schema, name).catch(() => new Map<string, bigint>());
    const reached = (task: bigint, agent: bigint) => async () => {
      const s = await stored();
      return s.get(offsetKey(taskTopic, 0)) === task && s.get(offsetKey(agentTopic, 0)) === agent;
    };
    // A first run learns both schemas, so the second's decoding never waits on the registry and
    // the two partitions of its first fetch reach the engine together.
    const codec = new AvroEventCodec({ registry: createRegistryClient(config.registry), catalog: loadSchemaCatalog(), topicPrefix: topics.prefix });
    const options = { codec, topics: [taskTopic, agentTopic], target: counting, groupCommit: true, partitionsConcurrently: 4 };
    await publish(1);
    await heartbeats(1);
    await start(options);
    await eventually(reached(1n, 1n), 30_000, 'the first run');
    await consumer!.stop();
    calls.length = 0;
    await publish(10, 'task-1', (i) => (i === 4 ? 'a NUL \u0000 byte' : `task ${i}`));
    await heartbeats(10);
    const reports: BatchReport[] = [];
    await start({ ...options, onBatch: (r) => reports.push(r) });
    await eventually(reached(11n, 11n), 30_000, 'both partitions stored');
    const rows = (await db.withSchema(schema).from('applied').select('topic', 'offset')) as { topic: string; offset: string }[];
    expect(rows.filter((r) => r.topic === taskTopic).map((r) => Number(r.offset)).sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 6, 7, 8, 9, 10]);
    expect(rows.filter((r) => r.topic === agentTopic)).toHaveLength(11);
    // One apply over both partitions: the group's first try, refused as a whole for the NUL byte.
    expect(calls.some((c) => c.partitions.size === 2 && c.records === 20)).toBe(true);
    await eventually(async () => (await deadLetters()).length >= 1, 30_000, 'the dead letter');
    const dead = await deadLetters();
    expect(dead.map((d) => [d.sourceTopic, Number(d.sourceOffset)])).toEqual([[taskTopic, 5]]);
    const byTopic = (t: string) => reports.filter((r) => r.topic === t);
    expect(byTopic(taskTopic).reduce((n, r) => n + r.applied, 0)).toBe(9);
    expect(byTopic(taskTopic).reduce((n, r) => n + r.rejected, 0)).toBe(1);
    expect(byTopic(agentTopic).reduce((n, r) => n + r.applied, 0)).toBe(10);
    expect(byTopic(agentTopic).reduce((n, r) => n + r.rejected, 0)).toBe(0);
  });

  it('gives a batch select passed over entirely no transaction, carries its position with the next one, and stores it on stop', async () => {
    const reports: BatchReport[] = [];
    const options = { select: (r: { key: string | null }) => r.key !== 'skip', onBatch: (r: BatchReport) => reports.push(r) };
    const stored = async () => (await readOffsets(db, schema, name).catch(() => new Map<string, bigint>())).get(offsetKey(taskTopic, 0));
    const fetched = () => reports.reduce((n, r) => n + r.fetched, 0);
    await start(options);
    await publish(3, 'keep');
    await eventually(async () => (await stored()) === 3n, 30_000, 'the first three');
    await publish(5, 'skip');
    await eventually(() => fetched() === 8, 30_000, 'the passed-over batch');
    expect(reports.at(-1)).toMatchObject({ fetched: 5, applied: 0, transactionBatches: 0, nextOffset: 8n });
    await publish(2, 'keep');
    await eventually(async () => (await stored()) === 10n, 30_000, 'the next transaction, past the passed-over records');
    expect((await applied()).map((r) => Number(r.offset))).toEqual([0, 1, 2, 8, 9]);
    await publish(4, 'skip');
    await eventually(() => fetched() === 14, 30_000, 'the second passed-over batch');
    await consumer!.stop();
    expect(await stored()).toBe(14n);
    // Restarted: nothing applied twice, and nothing to reposition around.
    await start(options);
    await publish(1, 'keep');
    await eventually(async () => (await stored()) === 15n, 30_000, 'the record after the restart');
    expect((await applied()).map((r) => Number(r.offset))).toEqual([0, 1, 2, 8, 9, 14]);
    expect(logLines.filter((l) => /beyond|wrongly/.test(l.msg))).toEqual([]);
  });

  it('with groupCommit fetches the next batch while a transaction runs, and seeks back to Postgres when a transaction fails after that', async () => {
    const target = fakeTarget();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let holding = false;
    let failSchema = false;
    const slow: ConsumerTarget = {
      schema: async (trx) => {
        if (failSchema) {
          failSchema = false;
          throw new Error('the schema lookup failed once');
        }
        return target.schema(trx);
      },
      apply: async (trx, s, records, context) => {
        if (records.some((r) => (r.event!.payload as { description: string }).description === 'hold')) {
          holding = true;
          await released;
        }
        return target.apply(trx, s, records, context);
      },
    };
    const reports: BatchReport[] = [];
    const received: string[] = [];
    await start({ target: slow, groupCommit: true, pipeline: true, onBatch: (r) => reports.push(r), select: (r) => received.push(r.offset) > 0 });
    await publish(1, 'task-1', () => 'hold');
    await eventually(() => holding, 30_000, 'the first transaction to hold');
    await publish(2, 'task-1', (i) => `after ${i}`);
    // Received while the first transaction is still open: the fetch overlapped it.
    await eventually(() => received.includes('2'), 30_000, 'the next batch, fetched during the first transaction');
    expect(reports).toEqual([]);
    release();
    await eventually(() => reports.reduce((n, r) => n + r.fetched, 0) >= 3, 30_000, 'both batches');
    const [first, second] = reports;
    expect(second!.receivedAt).toBeLessThan(first!.receivedAt + first!.durationMs);

    // A transaction that fails once kafkajs has moved on: the consumer seeks back and nothing is lost or applied twice.
    failSchema = true;
    await publish(3, 'task-1', (i) => `later ${i}`);
    await publish(2, 'task-1', (i) => `last ${i}`);
    await eventually(async () => (await applied()).length === 8, 30_000, 'all eight records');
    expect((await applied()).map((r) => Number(r.offset))).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(logLines.some((l) => l.level === 'error' && /seeking back/.test(l.msg))).toBe(true);
  });

  it('with groupCommit never lets a batch passed over skip a batch before it whose transaction has yet to lock its position', async () => {
    const target = fakeTarget();
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let preparing = false;
    const slowToPrepare: ConsumerTarget = {
      ...target,
      prepare: async () => {
        preparing = true;
        await released;
      },
    };
    const received: string[] = [];
    await start({ target: slowToPrepare, groupCommit: true, pipeline: true, select: (r) => (received.push(r.offset), r.key !== 'skip') });
    await publish(1, 'keep');
    // The group has begun (kafkajs fetches on) but holds no lock yet; a passed-over batch arrives meanwhile.
    await eventually(() => preparing, 30_000, 'the first group to begin');
    await publish(2, 'skip');
    await eventually(() => received.includes('2'), 30_000, 'the passed-over batch');
    release();
    await eventually(async () => (await applied()).length === 1, 30_000, 'the first record');
    expect((await applied()).map((r) => Number(r.offset))).toEqual([0]);
    await consumer!.stop();
    expect((await readOffsets(db, schema, name)).get(offsetKey(taskTopic, 0))).toBe(3n);
  });

  it('waits out a registry outage longer than the session timeout without losing its membership, then applies everything', async () => {
    const proxy = await registryProxy(config.registry.url);
    let joins = 0;
    try {
      await start({
        // A codec of its own that has fetched no schema yet: every decode needs the registry.
        codec: new AvroEventCodec({ registry: createRegistryClient({ url: proxy.url, auth: undefined }, { retries: 0 }), catalog: loadSchemaCatalog(), topicPrefix: topics.prefix }),
        retry: { initialDelayMs: 200, maxDelayMs: 1000 },
        consumerConfig: { sessionTimeout: 6000, maxWaitTimeInMs: 100 },
        onAssigned: () => joins++,
      });
      await eventually(() => consumer!.health().positioned || joins > 0, 30_000, 'the first assignment');
      await proxy.close();
      await publish(20);
      await eventually(() => consumer!.health().waitingFor === 'registry', 30_000, 'the consumer to wait for the registry');
      // Twice the session timeout: without heartbeats the broker would have evicted the member.
      await new Promise((r) => setTimeout(r, 12_000));
      expect(await applied()).toEqual([]);
      await proxy.open();
      await eventually(async () => (await applied()).length >= 20, 60_000, 'all twenty records');
      // A lost membership shows when the consumer next commits or fetches: one more record makes sure it has.
      await publish(1);
      await eventually(async () => (await applied()).length >= 21, 60_000, 'one more record');
      expect((await applied()).map((r) => Number(r.offset))).toEqual(Array.from({ length: 21 }, (_, i) => i));
      expect(joins).toBe(1);
      expect(await deadLetters()).toEqual([]);
    } finally {
      await proxy.close();
    }
  }, 120_000);
});
