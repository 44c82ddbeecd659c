import * as avro from 'avsc';

/**
 * What a producer in another language writes (librdkafka with Apache Avro, say): Confluent framing
 * around plain Avro, built here without any agentbus encoder so tests see another client's bytes.
 */
export const confluentFramed = (schemaId: number, writerSchema: object, value: unknown): Buffer => {
  const header = Buffer.alloc(5);
  header.writeInt32BE(schemaId, 1);
  return Buffer.concat([header, avro.Type.forSchema(writerSchema as avro.Schema).toBuffer(value)]);
};

/** A record that is no agentbus event, as another team might register under an event topic's subject. */
export const invoiceSchema = {
  type: 'record',
  name: 'Invoice',
  namespace: 'com.acme',
  fields: [
    { name: 'invoiceId', type: 'string' },
    { name: 'amountCents', type: 'long' },
  ],
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

/** A task.created record as a foreign producer fills it in: every field explicit, nulls for absent ids. */
export const foreignTaskCreated = (taskId: string, changes: object = {}) => ({
  id: `evt-${taskId}`,
  type: 'task.created',
  source: 'did:agent:rust-planner',
  timestamp: 1760000000000,
  routingKey: 'task.created',
  metadata: { correlationId: null, causationId: null, version: '1' },
  payload: { taskId, description: `written by another client (${taskId})`, priority: 'high', domain: null, requiredCapability: null, input: null },
  ...changes,
});

export interface ForeignRecord {
  key: string;
  value: Buffer;
  headers?: Record<string, string>;
  /** What a consumer must refuse it with; none for the one correct record. */
  refusal?: { code: string; reason: RegExp };
}

/**
 * One correct task.created and five faulty records for `<prefix>.task`, written against the schemas
 * the agentbus SDK registered there; com.acme.Invoice is registered under `<topic>-value`
 * (TopicNameStrategy, a Confluent serializer's default).
 */
export const foreignTaskRecords = async (registryUrl: string, topic: string): Promise<ForeignRecord[]> => {
  const registry = registryApi(registryUrl);
  const created = await registry.latest(`${topic}-agentbus.task.TaskCreated`);
  const completed = await registry.latest(`${topic}-agentbus.task.TaskCompleted`);
  const invoiceId = await registry.register(`${topic}-value`, invoiceSchema);
  const taskCreated = (taskId: string, changes?: object) => confluentFramed(created.id, created.schema, foreignTaskCreated(taskId, changes));
  const completedPayload = { payload: { taskId: 'foreign-mismatch', result: { status: 'success', output: '{}', metrics: null } } };
  return [
    { key: 'foreign-ok', value: taskCreated('foreign-ok') },
    {
      key: 'foreign-mismatch',
      value: confluentFramed(completed.id, completed.schema, foreignTaskCreated('foreign-mismatch', completedPayload)),
      refusal: { code: 'EVENT_TYPE_MISMATCH', reason: new RegExp(`type is "task\\.created", but writer schema ${completed.id} is agentbus\\.task\\.TaskCompleted`) },
    },
    {
      key: 'foreign-empty-id',
      value: taskCreated('foreign-empty-id', { id: '' }),
      refusal: { code: 'EVENT_INVALID', reason: /^Invalid task\.created: id: must be a non-blank string, got ""$/ },
    },
    {
      key: 'foreign-bad-key',
      value: taskCreated('foreign-bad-key', { routingKey: 'task..created.#' }),
      refusal: { code: 'ROUTING_KEY_INVALID', reason: /routingKey "task\.\.created\.#" of task\.created: empty word at position 2/ },
    },
    {
      key: 'foreign-invoice',
      value: confluentFramed(invoiceId, invoiceSchema, { invoiceId: 'INV-7', amountCents: 129900 }),
      refusal: { code: 'NOT_AN_AGENTBUS_EVENT', reason: new RegExp(`writer schema ${invoiceId} is com\\.acme\\.Invoice, not an agentbus event`) },
    },
    {
      key: 'foreign-header',
      value: taskCreated('foreign-header'),
      headers: { 'agentbus-routing-key': 'task.created.urgent' },
      refusal: { code: 'ROUTING_KEY_MISMATCH', reason: /header agentbus-routing-key is "task\.created\.urgent", but the body's routingKey is "task\.created"/ },
    },
  ];
};
