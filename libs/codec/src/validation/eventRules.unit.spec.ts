import { AgentbusError, type AgentEvent } from '@agentbus/events';
import { thrownBy } from '@agentbus/testing';
import { loadSchemaCatalog } from '../catalog/schemaCatalog';
import { assertReadable, assertRoutingKey, envelopeIssues } from './eventRules';

const catalog = loadSchemaCatalog();
const taskCreated = catalog.latest('task.created');
const memoryUpdated = catalog.latest('memory.updated');

const event: AgentEvent = {
  id: '01HF0000000000000000000001',
  type: 'task.created',
  source: 'did:agent:planner',
  timestamp: 1700000000000,
  routingKey: 'task.created',
  payload: { taskId: 't-1', description: 'd', priority: 'high', domain: null, requiredCapability: null, input: null },
  metadata: { correlationId: 'C-1', version: '1' },
};

const thrown = (fn: () => unknown): AgentbusError => thrownBy(fn, AgentbusError);
const read = (changes: Partial<AgentEvent>, routingKeyHeader?: string) => () => assertReadable(taskCreated, { ...event, ...changes }, { schemaId: 42, routingKeyHeader });

describe('assertReadable', () => {
  it('accepts a sound event, with or without a routing-key header that agrees', () => {
    expect(read({})).not.toThrow();
    expect(read({ routingKey: 'task.created.urgent' }, 'task.created.urgent')).not.toThrow();
  });

  it('refuses a type that is not the writer record\'s as EVENT_TYPE_MISMATCH, naming both', () => {
    const error = thrown(() => assertReadable(catalog.latest('task.completed'), event, { schemaId: 42 }));
    expect(error).toMatchObject({ code: 'EVENT_TYPE_MISMATCH', retriable: false, context: { eventType: 'task.created', recordName: 'agentbus.task.TaskCompleted', schemaId: 42 } });
    expect(error.message).toBe('Event type mismatch: type is "task.created", but writer schema 42 is agentbus.task.TaskCompleted, the record of task.completed');
  });

  it.each([
    [{ id: '' }, 'id: must be a non-blank string, got ""'],
    [{ id: '  ' }, 'id: must be a non-blank string, got "  "'],
    [{ source: '' }, 'source: must be a non-blank string, got ""'],
    [{ timestamp: 0 }, 'timestamp: must be epoch milliseconds after 1970, got 0'],
    [{ timestamp: -5 }, 'timestamp: must be epoch milliseconds after 1970, got -5'],
    [{ metadata: { version: '' } }, 'metadata.version: must be a schema version such as "1", got ""'],
    [{ metadata: { version: '1', correlationId: ' ' } }, 'metadata.correlationId: must be absent or non-blank, got " "'],
  ])('refuses %j as EVENT_INVALID naming the field and the value', (changes, message) => {
    const error = thrown(read(changes as Partial<AgentEvent>));
    expect(error.code).toBe('EVENT_INVALID');
    expect(error.message).toBe(`Invalid task.created: ${message}`);
  });

  it('names every envelope problem at once', () => {
    expect(envelopeIssues({ ...event, id: '', source: '', timestamp: 0 }).map((i) => i.path)).toEqual(['id', 'source', 'timestamp']);
  });

  it.each([
    ['task..created.#', 'empty word at position 2'],
    ['task.created.#', 'word "#" contains a wildcard; routing keys are literal'],
    ['task.*', 'word "*" contains a wildcard'],
    ['task.created ', 'contains whitespace'],
    ['', 'routing key is empty'],
    ['agent.x', 'must start with task'],
  ])('refuses the routing key %j as ROUTING_KEY_INVALID: %s', (routingKey, reason) => {
    const error = thrown(read({ routingKey }));
    expect(error.code).toBe('ROUTING_KEY_INVALID');
    expect(error.message).toContain(`routingKey ${JSON.stringify(routingKey)} of task.created: `);
    expect(error.message).toContain(reason);
    expect(error.context).toMatchObject({ eventType: 'task.created', routingKey });
  });

  it('refuses a routing-key header that disagrees with the body as ROUTING_KEY_MISMATCH, naming both values', () => {
    const error = thrown(read({ routingKey: 'task.created' }, 'task.completed'));
    expect(error).toMatchObject({ code: 'ROUTING_KEY_MISMATCH', context: { routingKey: 'task.created', header: 'agentbus-routing-key', headerValue: 'task.completed' } });
    expect(error.message).toBe('Routing key mismatch in task.created: header agentbus-routing-key is "task.completed", but the body\'s routingKey is "task.created"');
  });

  it('checks the type before the envelope, and the envelope before the routing key', () => {
    expect(thrown(() => assertReadable(catalog.latest('task.completed'), { ...event, id: '', routingKey: 'x..y' }, { schemaId: 1 })).code).toBe('EVENT_TYPE_MISMATCH');
    expect(thrown(read({ id: '', routingKey: 'x..y' })).code).toBe('EVENT_INVALID');
  });
});

describe('assertRoutingKey', () => {
  it.each([
    ['task.created', 'task.created', 'task'],
    ['task.assigned', 'task.assigned.a-7', 'task'],
    ['memory.updated', 'memory.updated', 'agent'],
    ['memory.updated', 'agent.a-7.memory', 'agent'],
    ['task.created', 'task', 'task'],
  ] as const)('accepts %s with key %s on category %s', (type, key, category) => {
    expect(() => assertRoutingKey(type, key, category)).not.toThrow();
  });

  it('takes the category from the schema, so memory.updated may start with agent but not with task', () => {
    expect(() => assertRoutingKey(memoryUpdated.eventType, 'task.x', memoryUpdated.category)).toThrow('must start with agent or memory');
  });

  it('does not take a word that merely begins with the category for the category', () => {
    expect(thrown(() => assertRoutingKey('task.created', 'tasks.created', 'task')).message).toContain('must start with task');
  });

  it('checks only the words when the category is unknown', () => {
    expect(() => assertRoutingKey('some.type', 'anything.goes', undefined)).not.toThrow();
    expect(thrown(() => assertRoutingKey('some.type', 'any..thing', undefined)).code).toBe('ROUTING_KEY_INVALID');
  });
});
