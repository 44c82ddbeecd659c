import * as avro from 'avsc';
import { EventValidationError, type AgentEvent } from '@agentbus/events';
import { assertEnvelope, assertRoutingKey } from '../validation/eventRules';
import type { EventSchema, SchemaCatalog } from './schemaCatalog';

export type AvroRecord = Omit<AgentEvent, 'metadata'> & { metadata: { correlationId: string | null; causationId: string | null; version: string } };

export const toAvroRecord = (event: AgentEvent, schema: EventSchema): AvroRecord => ({
  id: event.id,
  type: event.type,
  source: event.source,
  timestamp: event.timestamp,
  routingKey: event.routingKey ?? event.type,
  payload: withDefaults(payloadType(schema), event.payload),
  metadata: {
    correlationId: event.metadata?.correlationId ?? null,
    causationId: event.metadata?.causationId ?? null,
    version: String(schema.version),
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
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);

interface AvroField {
  name: string;
  type: avro.Type;
  defaultValue(): unknown;
}

type Filler = (value: unknown) => unknown;
const identity: Filler = (value) => value;
const fillers = new WeakMap<avro.Type, Filler>();

/**
 * A field the producer leaves out takes its schema default (null for optional fields), as an
 * Avro reader would. A left-out field with no default stays missing, so validation names it.
 * Compiled once per type: this runs on every published event.
 */
const fillerFor = (type: avro.Type): Filler => {
  let filler = fillers.get(type);
  if (!filler) {
    filler = compileFiller(type);
    fillers.set(type, filler);
  }
  return filler;
};

const compileFiller = (type: avro.Type): Filler => {
  if (avro.Type.isType(type, 'record')) {
    const fields = (type as unknown as { fields: AvroField[] }).fields.map((field) => ({ name: field.name, field, fill: fillerFor(field.type) }));
    return (value) => {
      if (!isObject(value)) return value;
      const out: Record<string, unknown> = { ...value };
      for (const { name, field, fill } of fields) {
        const given = value[name];
        const filled = given === undefined ? field.defaultValue() : fill === identity ? given : fill(given);
        if (filled !== undefined) out[name] = filled;
      }
      return out;
    };
  }
  if (avro.Type.isType(type, 'union')) {
    const record = (type as unknown as { types: avro.Type[] }).types.find((t) => avro.Type.isType(t, 'record'));
    if (!record) return identity;
    const fill = fillerFor(record);
    return (value) => (isObject(value) ? fill(value) : value);
  }
  if (avro.Type.isType(type, 'array')) {
    const fill = fillerFor((type as unknown as { itemsType: avro.Type }).itemsType);
    return fill === identity ? identity : (value) => (Array.isArray(value) ? value.map(fill) : value);
  }
  return identity;
};

const withDefaults = (type: avro.Type, value: unknown): unknown => fillerFor(type)(value);

const payloadType = (schema: EventSchema): avro.Type => (schema.avroType as unknown as { field(name: string): AvroField }).field('payload').type;

const assertValid = (schema: EventSchema, record: AvroRecord): void => {
  if (schema.avroType.isValid(record)) return;
  const issues: { path: string; message: string }[] = [];
  schema.avroType.isValid(record, {
    errorHook: (path, value, type) => {
      issues.push({ path: path.join('.') || '(event)', message: `expected ${describeType(type)}, got ${describeValue(value)}` });
    },
  });
  if (issues.length > 0) throw new EventValidationError(schema.eventType, issues);
};

/** Everything the SDK checks before it writes; consumers check the same on read (assertReadable). */
export const assertWritable = (schema: EventSchema, record: AvroRecord): void => {
  assertValid(schema, record);
  assertEnvelope(schema.eventType, record);
  assertRoutingKey(schema.eventType, record.routingKey, schema.category);
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
  const record = toAvroRecord(event, schema);
  assertWritable(schema, record);
  return fromAvroRecord(schema.avroType.fromBuffer(schema.avroType.toBuffer(record)) as AvroRecord);
};
