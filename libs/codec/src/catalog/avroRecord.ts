import * as avro from 'avsc';
import { EventValidationError, type AgentEvent } from '@agentbus/events';
import type { EventSchema, SchemaCatalog } from './schemaCatalog';

export type AvroRecord = Omit<AgentEvent, 'metadata'> & { metadata: { correlationId: string | null; causationId: string | null; version: string } };

export const toAvroRecord = (event: AgentEvent, version: string): AvroRecord => ({
  id: event.id,
  type: event.type,
  source: event.source,
  timestamp: event.timestamp,
  routingKey: event.routingKey ?? event.type,
  payload: withNulls(event.payload),
  metadata: {
    correlationId: event.metadata?.correlationId ?? null,
    causationId: event.metadata?.causationId ?? null,
    version,
  },
});

export const fromAvroRecord = (record: AvroRecord): AgentEvent => {
  const metadata: AgentEvent['metadata'] = { version: record.metadata.version };
  if (record.metadata.correlationId !== null) metadata.correlationId = record.metadata.correlationId;
  if (record.metadata.causationId !== null) metadata.causationId = record.metadata.causationId;
  return {
    id: record.id,
    type: record.type,
    source: record.source,
    timestamp: record.timestamp,
    routingKey: record.routingKey,
    payload: { ...(record.payload as object) },
    metadata,
  };
};

// Optional fields are `["null", T]` unions in Avro; a producer that leaves one out means null.
const withNulls = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(withNulls);
  if (value === undefined) return null;
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withNulls(v)]));
};

export const assertValid = (schema: EventSchema, record: AvroRecord): void => {
  if (schema.avroType.isValid(record)) return;
  const issues: { path: string; message: string }[] = [];
  schema.avroType.isValid(record, {
    errorHook: (path, value, type) => {
      issues.push({ path: path.join('.') || '(event)', message: `expected ${describeType(type)}, got ${describeValue(value)}` });
    },
  });
  if (issues.length > 0) throw new EventValidationError(schema.eventType, issues);
};

const describeType = (type: avro.Type): string => {
  if (avro.Type.isType(type, 'enum')) return `one of ${(type as avro.types.EnumType).symbols.join('|')}`;
  if (avro.Type.isType(type, 'union')) return (type as unknown as { types: avro.Type[] }).types.map(describeType).join(' or ');
  return type.name ?? type.typeName;
};

const describeValue = (value: unknown): string => {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text && text.length > 60 ? `${text.slice(0, 57)}...` : String(text);
};

/**
 * Validates against the newest local schema and passes the event through Avro and back, with no
 * registry: the in-memory bus delivers exactly the shapes Kafka consumers see.
 */
export const avroRoundTrip = (catalog: SchemaCatalog, event: AgentEvent): AgentEvent => {
  if (typeof event?.type !== 'string' || !catalog.has(event.type)) {
    throw new EventValidationError(String(event?.type ?? ''), [{ path: 'type', message: `unknown event type ${JSON.stringify(event?.type)}` }]);
  }
  const schema = catalog.latest(event.type);
  const record = toAvroRecord(event, String(schema.version));
  assertValid(schema, record);
  return fromAvroRecord(schema.avroType.fromBuffer(schema.avroType.toBuffer(record)) as AvroRecord);
};
