import { EventValidationError, type AgentEvent } from '@agentbus/events';
import { confluentFramed, invoiceSchema } from '@agentbus/testing';
import { AvroEventCodec } from './avroEventCodec';
import { loadSchemaCatalog } from './catalog/schemaCatalog';
import type { RegistryClient } from './registry/registryClient';
import { SchemaNotFoundError } from './registry/registryErrors';
import { toWireFormat } from './wire/wireFormat';

const fakeRegistry = (): RegistryClient => {
  const schemas = new Map<number, object>();
  const ids = new Map<string, number>();
  const key = (subject: string, schema: object) => `${subject}\n${JSON.stringify(schema)}`;
  return {
    url: 'memory://registry',
    async register(subject, schema) {
      const existing = ids.get(key(subject, schema));
      if (existing !== undefined) return existing;
      const id = schemas.size + 1;
      schemas.set(id, schema);
      ids.set(key(subject, schema), id);
      return id;
    },
    async lookup(subject, schema) {
      const id = ids.get(key(subject, schema));
      if (id === undefined) throw new SchemaNotFoundError(subject);
      return id;
    },
    async schemaById(id) {
      const schema = schemas.get(id);
      if (!schema) throw new SchemaNotFoundError(`schema id ${id}`);
      return schema;
    },
  };
};

const taskCreated: AgentEvent = {
  id: '01HF0000000000000000000001',
  type: 'task.created',
  source: 'did:agent:planner',
  timestamp: 1700000000000,
  routingKey: 'task.created',
  payload: { taskId: 't-1', description: 'Summarise the report', priority: 'high', domain: null, requiredCapability: null, input: null },
  metadata: { correlationId: 'C-1', causationId: 'P-1', version: '1' },
};

const taskCompletedV1: AgentEvent = {
  ...taskCreated,
  type: 'task.completed',
  routingKey: 'task.completed',
  payload: { taskId: 't-1', result: { status: 'success', output: '{"ok":true}' } },
};

const withPayload = (event: AgentEvent, changes: object): AgentEvent => ({ ...event, payload: { ...(event.payload as object), ...changes } });

describe('AvroEventCodec', () => {
  let codec: AvroEventCodec;
  let registered: { subject: string; version: number; id: number }[];
  // Ids depend on how many schemas the catalog holds, so tests look them up rather than hard-code them.
  const idOf = (subject: string, version: number): number => registered.find((r) => r.subject === subject && r.version === version)!.id;
  const taskCreatedSubject = 'agentbus.task-agentbus.task.TaskCreated';
  const taskCompletedSubject = 'agentbus.task-agentbus.task.TaskCompleted';

  beforeEach(async () => {
    codec = new AvroEventCodec({ registry: fakeRegistry(), catalog: loadSchemaCatalog(), topicPrefix: 'agentbus' });
    registered = await codec.registerSchemas();
  });

  it('registers every version under its TopicRecordNameStrategy subject, oldest first', async () => {
    expect(registered).toHaveLength(loadSchemaCatalog().schemas.length);
    expect(registered.filter((r) => r.subject.startsWith('agentbus.task-'))).toEqual([
      { subject: 'agentbus.task-agentbus.task.TaskAcknowledged', version: 1, id: expect.any(Number) },
      { subject: 'agentbus.task-agentbus.task.TaskAssigned', version: 1, id: expect.any(Number) },
      { subject: taskCompletedSubject, version: 1, id: expect.any(Number) },
      { subject: taskCompletedSubject, version: 2, id: expect.any(Number) },
      { subject: taskCreatedSubject, version: 1, id: expect.any(Number) },
      { subject: 'agentbus.task-agentbus.task.TaskFailed', version: 1, id: expect.any(Number) },
    ]);
    expect(idOf(taskCompletedSubject, 1)).toBeLessThan(idOf(taskCompletedSubject, 2));
    expect(registered).toContainEqual({ subject: 'agentbus.agent-agentbus.agent.MemoryUpdated', version: 1, id: expect.any(Number) });
    expect(await codec.registerSchemas()).toEqual(registered);
  });

  it('routes events to <prefix>.<category>', () => {
    expect(codec.topicFor('task.created')).toBe('agentbus.task');
  });

  it('round-trips an event, envelope and payload', async () => {
    const encoded = await codec.encode(taskCreated);
    expect(encoded.topic).toBe('agentbus.task');
    expect(encoded.schemaId).toBe(idOf(taskCreatedSubject, 1));
    expect(encoded.value[0]).toBe(0);

    const decoded = await codec.decode(encoded.value);
    expect(decoded.schemaId).toBe(idOf(taskCreatedSubject, 1));
    expect(decoded.recordName).toBe('agentbus.task.TaskCreated');
    expect(decoded.event).toEqual(taskCreated);
  });

  it('treats omitted optional payload fields as null', async () => {
    const { domain: _d, requiredCapability: _r, input: _i, ...required } = taskCreated.payload as Record<string, unknown>;
    const decoded = await codec.decode((await codec.encode({ ...taskCreated, payload: required })).value);
    expect(decoded.event.payload).toEqual(taskCreated.payload);
  });

  it('rejects a payload value outside an enum, naming payload.priority', async () => {
    const error = await codec.encode(withPayload(taskCreated, { priority: 'urgent' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).code).toBe('EVENT_INVALID');
    expect((error as Error).message).toContain('payload.priority');
    expect((error as Error).message).toContain('"urgent"');
  });

  it('rejects a missing required payload field, naming payload.taskId', async () => {
    const { taskId: _t, ...payload } = taskCreated.payload as Record<string, unknown>;
    await expect(codec.encode({ ...taskCreated, payload })).rejects.toThrow(
      expect.objectContaining({ name: 'EventValidationError', message: expect.stringContaining('payload.taskId') }),
    );
  });

  it('rejects an unknown event type, naming type', async () => {
    const error = await codec.encode({ ...taskCreated, type: 'task.exploded' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).issues).toEqual([{ path: 'type', message: 'unknown event type "task.exploded"' }]);
  });

  it('reads an event written with an older version through the newest local schema', async () => {
    const encoded = await codec.encode(taskCompletedV1, { version: 1 });
    expect(encoded.schemaId).toBe(idOf(taskCompletedSubject, 1));

    const decoded = await codec.decode(encoded.value);
    expect(decoded.event.metadata.version).toBe('1');
    expect(decoded.event.payload).toEqual({ taskId: 't-1', result: { status: 'success', output: '{"ok":true}', metrics: null } });
  });

  it('writes the newest version by default and records it in metadata.version', async () => {
    const encoded = await codec.encode(withPayload(taskCompletedV1, { result: { status: 'partial', output: '{}', metrics: { durationMs: 1200, tokensUsed: null } } }));
    expect(encoded.schemaId).toBe(idOf(taskCompletedSubject, 2));
    const { event } = await codec.decode(encoded.value);
    expect(event.metadata.version).toBe('2');
    expect(event.payload).toEqual({ taskId: 't-1', result: { status: 'partial', output: '{}', metrics: { durationMs: 1200, tokensUsed: null } } });
  });

  it('fails to decode an unknown schema id as EVENT_UNDECODABLE', async () => {
    await expect(codec.decode(toWireFormat(999, Buffer.alloc(0)))).rejects.toThrow(
      expect.objectContaining({ code: 'EVENT_UNDECODABLE', message: expect.stringContaining('unknown schema id 999') }),
    );
  });

  it('fails to decode a body that does not match its schema as EVENT_UNDECODABLE', async () => {
    const schemaId = idOf(taskCreatedSubject, 1);
    await expect(codec.decode(toWireFormat(schemaId, Buffer.from([0xff])))).rejects.toThrow(
      expect.objectContaining({ code: 'EVENT_UNDECODABLE', context: expect.objectContaining({ schemaId }) }),
    );
  });

  describe('records from another client (plain Avro in Confluent framing, no agentbus encoder)', () => {
    const registry = fakeRegistry();
    let foreignCodec: AvroEventCodec;
    let taskCompletedId: number;
    let taskCreatedId: number;
    const record = (event: AgentEvent) => ({ ...event, metadata: { correlationId: null, causationId: null, ...event.metadata } });
    const written = async (id: number, event: AgentEvent) => confluentFramed(id, await registry.schemaById(id), record(event));

    beforeAll(async () => {
      foreignCodec = new AvroEventCodec({ registry, catalog: loadSchemaCatalog(), topicPrefix: 'agentbus' });
      const ids = await foreignCodec.registerSchemas(['task.created', 'task.completed']);
      taskCreatedId = ids.find((r) => r.subject === taskCreatedSubject)!.id;
      taskCompletedId = ids.filter((r) => r.subject === taskCompletedSubject).at(-1)!.id;
    });

    it('reads a correct one exactly as written', async () => {
      const decoded = await foreignCodec.decode(await written(taskCreatedId, taskCreated), { routingKeyHeader: 'task.created' });
      expect(decoded.event).toEqual(taskCreated);
    });

    it('refuses a TaskCompleted record whose type says task.created as EVENT_TYPE_MISMATCH', async () => {
      const value = await written(taskCompletedId, { ...taskCompletedV1, type: 'task.created', payload: { taskId: 't-1', result: { status: 'success', output: '{}', metrics: null } } });
      await expect(foreignCodec.decode(value)).rejects.toMatchObject({ code: 'EVENT_TYPE_MISMATCH', retriable: false, message: expect.stringContaining('agentbus.task.TaskCompleted') });
    });

    it('refuses an empty id as EVENT_INVALID naming id', async () => {
      await expect(foreignCodec.decode(await written(taskCreatedId, { ...taskCreated, id: '' }))).rejects.toMatchObject({ code: 'EVENT_INVALID', message: 'Invalid task.created: id: must be a non-blank string, got ""' });
    });

    it('refuses the routing key task..created.# as ROUTING_KEY_INVALID', async () => {
      await expect(foreignCodec.decode(await written(taskCreatedId, { ...taskCreated, routingKey: 'task..created.#' }))).rejects.toMatchObject({
        code: 'ROUTING_KEY_INVALID',
        message: expect.stringContaining('routingKey "task..created.#"'),
      });
    });

    it('refuses a body whose routing key disagrees with the header as ROUTING_KEY_MISMATCH', async () => {
      await expect(foreignCodec.decode(await written(taskCreatedId, taskCreated), { routingKeyHeader: 'task.created.urgent' })).rejects.toMatchObject({ code: 'ROUTING_KEY_MISMATCH' });
    });

    it('refuses com.acme.Invoice registered under the topic subject as NOT_AN_AGENTBUS_EVENT, naming the record and the schema id', async () => {
      const id = await registry.register(taskCreatedSubject, invoiceSchema);
      const error = await foreignCodec.decode(confluentFramed(id, invoiceSchema, { invoiceId: 'inv-1', amountCents: 1200 })).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'NOT_AN_AGENTBUS_EVENT', retriable: false, context: { recordName: 'com.acme.Invoice', schemaId: id } });
      expect((error as Error).message).toBe(`Not an agentbus event: writer schema ${id} is com.acme.Invoice, not an agentbus event record`);
    });

    it('refuses an agentbus record this reader has no schema for as EVENT_TYPE_UNKNOWN', async () => {
      const newer = { ...(await registry.schemaById(taskCreatedId)), name: 'TaskArchived' };
      const id = await registry.register('agentbus.task-agentbus.task.TaskArchived', newer);
      await expect(foreignCodec.decode(confluentFramed(id, newer, record({ ...taskCreated, type: 'task.archived' })))).rejects.toMatchObject({
        code: 'EVENT_TYPE_UNKNOWN',
        context: { recordName: 'agentbus.task.TaskArchived', schemaId: id },
      });
    });
  });

  it('refuses to encode what it would refuse to decode: an empty id, a wildcard routing key', async () => {
    await expect(codec.encode({ ...taskCreated, id: '' })).rejects.toMatchObject({ code: 'EVENT_INVALID' });
    await expect(codec.encode({ ...taskCreated, routingKey: 'task.#' })).rejects.toMatchObject({ code: 'ROUTING_KEY_INVALID' });
  });

  describe('without a promise (encodeKnown, decodeKnown)', () => {
    it('encodes and decodes exactly as encode and decode do, once the schema ids are known', async () => {
      const viaPromise = await codec.encode(taskCreated);
      const known = codec.encodeKnown(taskCreated)!;
      expect(known).toEqual(viaPromise);
      const decoded = await codec.decode(known.value, { routingKeyHeader: 'task.created' });
      expect(codec.decodeKnown(known.value, { routingKeyHeader: 'task.created' })).toEqual(decoded);
    });

    it('answers undefined until the schema id is known, then knows it', async () => {
      const fresh = new AvroEventCodec({ registry: fakeRegistry(), catalog: loadSchemaCatalog(), topicPrefix: 'agentbus' });
      const bytes = (await codec.encode(taskCreated)).value;
      expect(fresh.encodeKnown(taskCreated)).toBeUndefined();
      const reader = new AvroEventCodec({ registry: (codec as unknown as { registry: RegistryClient }).registry, catalog: loadSchemaCatalog(), topicPrefix: 'agentbus' });
      expect(reader.decodeKnown(bytes)).toBeUndefined();
      await reader.decode(bytes);
      expect(reader.decodeKnown(bytes)?.event).toEqual(taskCreated);
    });

    it('refuses what encode and decode refuse, with the same codes', async () => {
      expect(() => codec.encodeKnown({ ...taskCreated, id: '' })).toThrow(expect.objectContaining({ code: 'EVENT_INVALID' }));
      expect(() => codec.encodeKnown({ ...taskCreated, type: 'task.nope' })).toThrow(expect.objectContaining({ code: 'EVENT_INVALID' }));
      const bytes = (await codec.encode(taskCreated)).value;
      await codec.decode(bytes);
      expect(() => codec.decodeKnown(bytes, { routingKeyHeader: 'task.created.other' })).toThrow(expect.objectContaining({ code: 'ROUTING_KEY_MISMATCH' }));
      expect(() => codec.decodeKnown(Buffer.from([1, 0, 0, 0, 1]))).toThrow(expect.objectContaining({ code: 'EVENT_UNDECODABLE' }));
    });
  });
});
