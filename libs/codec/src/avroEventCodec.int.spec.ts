import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEvent, type AgentEvent } from '@agentbus/events';
import { createTestTopics, integrationConfig, uniquePrefix, type TestTopics } from '@agentbus/testing';
import { AvroEventCodec } from './avroEventCodec';
import { defaultSchemasDir, loadSchemaCatalog } from './catalog/schemaCatalog';
import { createRegistryClient } from './registry/registryClient';
import { isSchemaIncompatibleError, type SchemaIncompatibleError } from './registry/registryErrors';

const config = integrationConfig();
const registry = createRegistryClient(config.registry);

const consumeOne = async (env: TestTopics, topic: string): Promise<{ value: Buffer; key: string; headers: Record<string, string> }> => {
  const consumer = env.kafka.consumer({ groupId: `${env.prefix}-reader` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  try {
    return await new Promise((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) =>
          resolve({
            value: message.value!,
            key: message.key!.toString(),
            headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
          }),
      });
    });
  } finally {
    await consumer.disconnect();
  }
};

const produce = async (env: TestTopics, topic: string, key: string, value: Buffer): Promise<void> => {
  const producer = env.kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ key, value, headers: { 'agentbus-type': 'task.created' } }] });
  await producer.disconnect();
};

/** A schemas/ folder holding only the given payload files, for versions the repo does not ship. */
const schemasWith = (files: Record<string, object>): string => {
  const dir = mkdtempSync(join(tmpdir(), 'agentbus-schemas-'));
  copyFileSync(join(defaultSchemasDir(), 'envelope.avsc'), join(dir, 'envelope.avsc'));
  mkdirSync(join(dir, 'task'));
  for (const [name, schema] of Object.entries(files)) writeFileSync(join(dir, 'task', name), JSON.stringify(schema));
  return dir;
};

const taskCreatedV1 = {
  type: 'record',
  name: 'TaskCreatedPayload',
  namespace: 'agentbus.task',
  fields: [
    { name: 'taskId', type: 'string' },
    { name: 'description', type: 'string' },
  ],
};

describe('Avro events through the real registry and broker', () => {
  let env: TestTopics;
  const dirs: string[] = [];

  beforeAll(async () => {
    env = await createTestTopics('codec', config);
  });
  afterAll(async () => {
    await env.cleanup();
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
  });

  it('produces a task.created event and consumes it back equal, envelope and payload', async () => {
    const codec = new AvroEventCodec({ registry, catalog: loadSchemaCatalog(), topicPrefix: env.prefix });
    const registered = await codec.registerSchemas(['task.created']);
    expect(registered).toEqual([{ subject: `${env.prefix}.task-agentbus.task.TaskCreated`, version: 1, id: expect.any(Number) }]);

    const event: AgentEvent = createEvent({
      type: 'task.created',
      source: 'did:agent:planner',
      correlationId: 'corr-1',
      causationId: 'cause-1',
      payload: { taskId: 't-123', description: 'Summarise the report', priority: 'high', domain: 'financial', requiredCapability: 'summarise', input: '{"pages":12}' },
    });
    const encoded = await codec.encode(event);
    expect(encoded.topic).toBe(`${env.prefix}.task`);
    expect(encoded.value[0]).toBe(0);
    expect(encoded.value.readInt32BE(1)).toBe(registered[0]!.id);

    await produce(env, encoded.topic, 't-123', encoded.value);
    const received = await consumeOne(env, encoded.topic);

    expect(received.key).toBe('t-123');
    const decoded = await codec.decode(received.value);
    expect(decoded.event).toEqual(event);
    expect(decoded.recordName).toBe('agentbus.task.TaskCreated');
  });

  it('refuses a version that breaks BACKWARD_TRANSITIVE and names the subject and the reason', async () => {
    const prefix = uniquePrefix('compat');
    const breaking = { ...taskCreatedV1, fields: [...taskCreatedV1.fields, { name: 'budget', type: 'long' }] };
    const dir = schemasWith({ 'task.created.v1.avsc': taskCreatedV1, 'task.created.v2.avsc': breaking });
    dirs.push(dir);
    const codec = new AvroEventCodec({ registry, catalog: loadSchemaCatalog(dir), topicPrefix: prefix });

    const error = (await codec.registerSchemas().catch((e: unknown) => e)) as SchemaIncompatibleError;

    expect(isSchemaIncompatibleError(error)).toBe(true);
    expect(error.subject).toBe(`${prefix}.task-agentbus.task.TaskCreated`);
    expect(error.message).toContain(`${prefix}.task-agentbus.task.TaskCreated`);
    expect(error.reason.length).toBeGreaterThan(0);
    expect(error.retriable).toBe(false);
    const config = await fetch(`${registry.url}/config/${encodeURIComponent(error.subject)}`).then((r) => r.json());
    expect(config).toEqual({ compatibilityLevel: 'BACKWARD_TRANSITIVE' });
  });

  it('a reader with a newer schema (added field with a default) decodes events written with the older one', async () => {
    const v2 = { ...taskCreatedV1, fields: [...taskCreatedV1.fields, { name: 'deadline', type: ['null', 'long'], default: null }] };
    const oldDir = schemasWith({ 'task.created.v1.avsc': taskCreatedV1 });
    const newDir = schemasWith({ 'task.created.v1.avsc': taskCreatedV1, 'task.created.v2.avsc': v2 });
    dirs.push(oldDir, newDir);
    const writer = new AvroEventCodec({ registry, catalog: loadSchemaCatalog(oldDir), topicPrefix: `${env.prefix}-evo` });
    const reader = new AvroEventCodec({ registry, catalog: loadSchemaCatalog(newDir), topicPrefix: `${env.prefix}-evo` });
    await writer.registerSchemas();

    const event = createEvent({ type: 'task.created', source: 'did:agent:old', payload: { taskId: 't-9', description: 'old writer' } });
    const encoded = await writer.encode(event);
    await produce(env, `${env.prefix}.task`, 't-9', encoded.value);

    const decoded = await reader.decode(encoded.value);
    expect(decoded.event.payload).toEqual({ taskId: 't-9', description: 'old writer', deadline: null });
    expect(decoded.event.metadata.version).toBe('1');
    expect(decoded.event.id).toBe(event.id);
  });
});
