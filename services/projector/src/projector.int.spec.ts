import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import { parseConfig, connectionSchema } from '@agentbus/config';
import type { AgentEvent } from '@agentbus/events';
import { createLogger } from '@agentbus/logger';
import { createDatabase, createOffsetsTable, offsetsTable, writeOffsets } from '@agentbus/postgres-sink';
import { allProjections, replay } from '@agentbus/projections';
import { activeSchema, ensureLiveReadModels } from '@agentbus/read-models';
import { createTestDatabase, createTestTopics, foreignTaskCreated, foreignTaskRecords, mixedWorkload, readTables, type TestDatabase, type TestTopics } from '@agentbus/testing';
import type { Knex } from 'knex';
import { loadProjectorConfig } from './config';
import { startProjector, type RunningProjector } from './projector';

const logger = createLogger({ name: 'projector-test', level: process.env.LOG_LEVEL ?? 'fatal', pretty: false });
const eventually = async (probe: () => Promise<boolean>, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('projector', () => {
  let topics: TestTopics;
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let bus: KafkaEventBus;
  let projector: RunningProjector | undefined;
  let db: Knex;

  beforeEach(async () => {
    topics = await createTestTopics('projector');
    database = await createTestDatabase('projector', parseConfig(connectionSchema).databaseUrl);
    env = { ...process.env, AGENTBUS_TOPIC_PREFIX: topics.prefix, DATABASE_URL: database.url, PROJECTOR_HTTP_PORT: '0' };
    bus = createKafkaEventBus({ connection: parseConfig(connectionSchema, env), service: 'workload', logger });
    await bus.registerSchemas();
    db = createDatabase({ url: database.url });
  });
  afterEach(async () => {
    await projector?.stop();
    projector = undefined;
    await bus.close();
    await db.destroy();
    await topics.cleanup();
    await database.drop();
  });

  it('fills the read models so they equal a pure replay of the same events, dead-letters what it cannot apply, and reports health and metrics', async () => {
    projector = await startProjector(loadProjectorConfig(env), logger);
    const published: AgentEvent[] = [];
    for (const batch of chunk(mixedWorkload({ tasks: 60, run: 'mix' }), 50)) published.push(...(await bus.publishMany(batch)));
    const producer = topics.kafka.producer();
    await producer.connect();
    await producer.send({ topic: `${topics.prefix}.task`, messages: [{ key: 'junk', value: Buffer.from('not an event') }] });
    await producer.disconnect();
    // Valid Avro that Postgres refuses (text cannot hold NUL), with a good event of the same task,
    // so of the same partition and most likely the same batch: only the bad one is dead-lettered.
    const [refused, good] = await bus.publishMany([
      { type: 'task.created', source: 'planner', payload: { taskId: 'nul-task', description: 'a NUL \u0000 byte', priority: 'low', domain: null } },
      { type: 'task.acknowledged', source: 'mix-agent-1', payload: { taskId: 'nul-task', agentId: 'mix-agent-1' } },
    ]);
    published.push(good!);

    const { schema } = await activeSchema(db);
    await eventually(async () => Number((await db.withSchema(schema).from('events').count({ n: '*' }))[0]!.n) === published.length, 60_000, 'every event in the event store');

    const expected = replay(allProjections, published);
    const actual = await readTables(db, schema, allProjections);
    expect(actual).toEqual(expected);
    expect(Object.keys(actual.tasks!)).toHaveLength(61);
    expect(Object.values(actual.decisions!).map((d) => d.status).sort()).toEqual(['approved', 'approved', 'approved', 'approved', 'approved', 'approved', 'vetoed', 'vetoed', 'vetoed', 'vetoed', 'vetoed', 'vetoed']);

    const analyst = await db.raw(`select count(*)::int as n, count(*) filter (where status = 'completed')::int as done from read.tasks`);
    expect(analyst.rows[0].n).toBe(61);

    const dead = await bus.deadLetters.list();
    expect(dead).toHaveLength(2);
    expect(dead.find((d) => d.key === 'junk')).toMatchObject({ code: 'EVENT_UNDECODABLE', subscription: 'projector' });
    expect(dead.find((d) => d.key === 'nul-task')).toMatchObject({ subscription: 'projector', event: { id: refused!.id } });
    expect(dead.find((d) => d.key === 'nul-task')!.reason).toMatch(/unicode|0x00/i);

    const base = `http://127.0.0.1:${projector.ops.port}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/projector_records_dead_lettered_total\{[^}]*topic="[^"]+\.task"[^}]*\} 2/);
    expect(metrics).toMatch(/projector_records_total\{[^}]*\} \d+/);
    expect(metrics).toMatch(/projector_lag\{[^}]*partition="0"[^}]*\} 0/);
  });

  it('applies a redelivered record once: event ids and stored offsets deduplicate', async () => {
    projector = await startProjector(loadProjectorConfig(env), logger);
    const [event] = await bus.publishMany(mixedWorkload({ tasks: 1, agents: 1, run: 'dup' }).slice(2, 3));
    await bus.publish(event!);
    const { schema } = await activeSchema(db);
    await eventually(async () => Number((await db.withSchema(schema).from('tasks').count({ n: '*' }))[0]!.n) === 1, 30_000, 'the task row');
    // Both copies applied, by the offsets stored with the rows: past the end of the event's partition.
    const topic = `${topics.prefix}.${event!.type.split('.')[0]}`;
    const admin = topics.kafka.admin();
    await admin.connect();
    const end = (await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect())).filter((o) => o.high !== '0');
    expect(end.map((o) => o.high)).toEqual(['2']);
    await eventually(
      async () => {
        const stored: { partition: number; next_offset: string }[] = await db.withSchema(schema).from(offsetsTable).where({ topic }).select('partition', 'next_offset');
        return end.every((o) => stored.some((s) => s.partition === o.partition && BigInt(s.next_offset) >= BigInt(o.high)));
      },
      60_000,
      'the stored offsets to pass both copies',
    );
    expect(Number((await db.withSchema(schema).from('events').count({ n: '*' }))[0]!.n)).toBe(1);
  });

  it('projects and delivers the correct record of a producer in another language (plain Avro, Confluent framing, no agentbus headers) and dead-letters each faulty one with its own code and a reason naming the field', async () => {
    const topic = `${topics.prefix}.task`;
    const records = await foreignTaskRecords(parseConfig(connectionSchema, env).registry.url, topic);
    const refused = records.filter((r) => r.refusal);

    projector = await startProjector(loadProjectorConfig(env), logger);
    const delivered: AgentEvent[] = [];
    await bus.subscribe('task.#', async (event) => void delivered.push(event), { name: 'foreign-tasks' });

    const producer = topics.kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: records.map(({ key, value, headers }) => ({ key, value, headers })) });
    await producer.disconnect();

    const deadFor = async (subscription: string) => bus.deadLetters.list({ where: (d) => d.subscription === subscription });
    await eventually(async () => (await deadFor('projector')).length >= 5 && (await deadFor('foreign-tasks')).length >= 5, 90_000, 'five dead letters per consumer');
    const { schema } = await activeSchema(db);
    await eventually(async () => (await db.withSchema(schema).from('tasks').where({ task_id: 'foreign-ok' })).length === 1, 60_000, 'the correct task projected');
    await eventually(async () => delivered.length >= 1, 30_000, 'the correct event delivered');

    for (const subscription of ['projector', 'foreign-tasks']) {
      const dead = await deadFor(subscription);
      expect(Object.fromEntries(dead.map((d) => [d.key, d.code]))).toEqual(Object.fromEntries(refused.map((r) => [r.key, r.refusal!.code])));
      for (const d of dead) expect(d.reason).toMatch(refused.find((r) => r.key === d.key)!.refusal!.reason);
      expect(dead.every((d) => d.attempts === 1 && d.sourceTopic === topic)).toBe(true);
    }

    // Every record is accounted for: five dead-lettered, one projected, none of the five projected.
    const tasks = await db.withSchema(schema).from('tasks').select('task_id', 'description', 'priority');
    expect(tasks).toEqual([{ task_id: 'foreign-ok', description: 'written by another client (foreign-ok)', priority: 'high' }]);
    expect(Number((await db.withSchema(schema).from('events').count({ n: '*' }))[0]!.n)).toBe(1);
    expect(delivered).toEqual([
      {
        ...foreignTaskCreated('foreign-ok'),
        metadata: { version: '1' },
      },
    ]);
  });
});

const chunk = <T>(items: T[], size: number): T[][] => Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

describe('projector after its topics were recreated', () => {
  it('resets stored offsets beyond the end of a partition and projects the new events', async () => {
    const topics = await createTestTopics('recreated');
    const database = await createTestDatabase('recreated', parseConfig(connectionSchema).databaseUrl);
    const env = { ...process.env, AGENTBUS_TOPIC_PREFIX: topics.prefix, DATABASE_URL: database.url, PROJECTOR_HTTP_PORT: '0' };
    const bus = createKafkaEventBus({ connection: parseConfig(connectionSchema, env), service: 'workload', logger });
    const db = createDatabase({ url: database.url });
    let projector: RunningProjector | undefined;
    try {
      await bus.registerSchemas();
      const { schema } = await ensureLiveReadModels(db);
      // Offsets left behind by an earlier incarnation of the topics, far beyond their new end.
      await createOffsetsTable(db, schema);
      await db.transaction((trx) => writeOffsets(trx, schema, 'projector', [0, 1, 2].map((partition) => ({ topic: `${topics.prefix}.task`, partition, nextOffset: 500n }))));

      projector = await startProjector(loadProjectorConfig(env), logger);
      const published = await bus.publishMany(mixedWorkload({ tasks: 5, agents: 1, run: 'again' }));
      await eventually(async () => Number((await db.withSchema(schema).from('events').count({ n: '*' }))[0]!.n) === published.length, 30_000, 'the new events projected');
      expect(Number((await db.withSchema(schema).from('tasks').count({ n: '*' }))[0]!.n)).toBe(5);
    } finally {
      await projector?.stop();
      await bus.close();
      await db.destroy();
      await topics.cleanup();
      await database.drop();
    }
  });
});
