import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import type { AgentEvent } from '@agentbus/events';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { activeSchema } from '@agentbus/read-models';
import { confluentFramed, createTestDatabase, createTestTopics, invoiceSchema, type TestDatabase, type TestTopics } from '@agentbus/testing';
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

/** The registry's Confluent-compatible REST API, spoken directly, as another language's client does. */
const registryApi = (url: string) => {
  const call = async (path: string, body?: object): Promise<{ id: number; schema?: string }> => {
    const response = await fetch(`${url}${path}`, {
      method: body ? 'POST' : 'GET',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: body && JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as { id: number; schema?: string };
  };
  return {
    latest: async (subject: string) => {
      const { id, schema } = await call(`/subjects/${encodeURIComponent(subject)}/versions/latest`);
      return { id, schema: JSON.parse(schema!) as object };
    },
    register: async (subject: string, schema: object) => (await call(`/subjects/${encodeURIComponent(subject)}/versions`, { schema: JSON.stringify(schema) })).id,
  };
};

/** An event record as a foreign producer fills it in: every field explicit, nulls for absent ids. */
const taskCreatedRecord = (taskId: string, changes: object = {}) => ({
  id: `evt-${taskId}`,
  type: 'task.created',
  source: 'did:agent:rust-planner',
  timestamp: 1760000000000,
  routingKey: 'task.created',
  metadata: { correlationId: null, causationId: null, version: '1' },
  payload: { taskId, description: `written by another client (${taskId})`, priority: 'high', domain: null, requiredCapability: null, input: null },
  ...changes,
});

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
    const registry = registryApi(parseConfig(connectionSchema, env).registry.url);
    const topic = `${topics.prefix}.task`;
    const created = await registry.latest(`${topic}-agentbus.task.TaskCreated`);
    const completed = await registry.latest(`${topic}-agentbus.task.TaskCompleted`);
    // TopicNameStrategy, a Confluent serializer's default: the record is registered under the topic's subject.
    const invoiceId = await registry.register(`${topic}-value`, invoiceSchema);

    const records = [
      { key: 'foreign-ok', value: confluentFramed(created.id, created.schema, taskCreatedRecord('foreign-ok')) },
      {
        key: 'foreign-mismatch',
        value: confluentFramed(
          completed.id,
          completed.schema,
          taskCreatedRecord('foreign-mismatch', { payload: { taskId: 'foreign-mismatch', result: { status: 'success', output: '{}', metrics: null } } }),
        ),
      },
      { key: 'foreign-empty-id', value: confluentFramed(created.id, created.schema, taskCreatedRecord('foreign-empty-id', { id: '' })) },
      { key: 'foreign-bad-key', value: confluentFramed(created.id, created.schema, taskCreatedRecord('foreign-bad-key', { routingKey: 'task..created.#' })) },
      { key: 'foreign-invoice', value: confluentFramed(invoiceId, invoiceSchema, { invoiceId: 'INV-7', amountCents: 129900 }) },
      {
        key: 'foreign-header',
        value: confluentFramed(created.id, created.schema, taskCreatedRecord('foreign-header')),
        headers: { 'agentbus-routing-key': 'task.created.urgent' },
      },
    ];
    const expected: Record<string, { code: string; reason: RegExp }> = {
      'foreign-mismatch': { code: 'EVENT_TYPE_MISMATCH', reason: new RegExp(`type is "task.created", but writer schema ${completed.id} is agentbus.task.TaskCompleted`) },
      'foreign-empty-id': { code: 'EVENT_INVALID', reason: /^Invalid task.created: id: must be a non-blank string, got ""$/ },
      'foreign-bad-key': { code: 'ROUTING_KEY_INVALID', reason: /routingKey "task\.\.created\.#" of task\.created: empty word at position 2/ },
      'foreign-invoice': { code: 'NOT_AN_AGENTBUS_EVENT', reason: new RegExp(`writer schema ${invoiceId} is com\\.acme\\.Invoice, not an agentbus event`) },
      'foreign-header': { code: 'ROUTING_KEY_MISMATCH', reason: /header agentbus-routing-key is "task\.created\.urgent", but the body's routingKey is "task\.created"/ },
    };

    projector = await startProjector(loadProjectorConfig(env), logger);
    const delivered: AgentEvent[] = [];
    await bus.subscribe('task.#', async (event) => void delivered.push(event), { name: 'foreign-tasks' });

    const producer = topics.kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: records });
    await producer.disconnect();

    const deadFor = async (subscription: string) => bus.deadLetters.list({ where: (d) => d.subscription === subscription });
    await eventually(async () => (await deadFor('projector')).length >= 5 && (await deadFor('foreign-tasks')).length >= 5, 90_000, 'five dead letters per consumer');
    const { schema } = await activeSchema(db);
    await eventually(async () => (await db.withSchema(schema).from('tasks').where({ task_id: 'foreign-ok' })).length === 1, 60_000, 'the correct task projected');
    await eventually(async () => delivered.length >= 1, 30_000, 'the correct event delivered');

    for (const subscription of ['projector', 'foreign-tasks']) {
      const dead = await deadFor(subscription);
      expect(Object.fromEntries(dead.map((d) => [d.key, d.code]))).toEqual(Object.fromEntries(Object.entries(expected).map(([key, e]) => [key, e.code])));
      for (const d of dead) expect(d.reason).toMatch(expected[d.key!]!.reason);
      expect(dead.every((d) => d.attempts === 1 && d.sourceTopic === topic)).toBe(true);
    }

    // Every record is accounted for: five dead-lettered, one projected, none of the five projected.
    const tasks = await db.withSchema(schema).from('tasks').select('task_id', 'description', 'priority');
    expect(tasks).toEqual([{ task_id: 'foreign-ok', description: 'written by another client (foreign-ok)', priority: 'high' }]);
    expect(Number((await db.withSchema(schema).from('events').count({ n: '*' }))[0]!.n)).toBe(1);
    expect(delivered).toEqual([
      {
        ...taskCreatedRecord('foreign-ok'),
        metadata: { version: '1' },
      },
    ]);
  });
});
