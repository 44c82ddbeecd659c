import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import type { AgentEvent } from '@agentbus/events';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { activeSchema } from '@agentbus/read-models';
import { createTestDatabase, createTestTopics, foreignTaskCreated, foreignTaskRecords, type TestDatabase, type TestTopics } from '@agentbus/testing';
import type { Knex } from 'knex';
import { loadProjectorConfig } from './config';
import { startProjector, type RunningProjector } from './projector';

const logger = createLogger({ name: 'foreign-records-test', level: process.env.LOG_LEVEL ?? 'fatal', pretty: false });
const eventually = async (probe: () => Promise<boolean>, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('records from a producer in another language (plain Avro, Confluent framing, no agentbus headers)', () => {
  let topics: TestTopics;
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let bus: KafkaEventBus;
  let projector: RunningProjector | undefined;
  let db: Knex;

  beforeEach(async () => {
    topics = await createTestTopics('foreign');
    database = await createTestDatabase('foreign', parseConfig(connectionSchema).databaseUrl);
    env = { ...process.env, AGENTBUS_TOPIC_PREFIX: topics.prefix, DATABASE_URL: database.url, PROJECTOR_HTTP_PORT: '0' };
    bus = createKafkaEventBus({ connection: parseConfig(connectionSchema, env), service: 'foreign-reader', logger });
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

  it('projects and delivers the correct one, and dead-letters each faulty one with its own code and a reason naming the field', async () => {
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
