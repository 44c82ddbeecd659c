import * as avro from 'avsc';
import { EventDecodeError, EventValidationError, isAgentbusError, topicName, type AgentEvent } from '@agentbus/events';
import { subjectName } from './catalog/naming';
import type { EventSchema, SchemaCatalog } from './catalog/schemaCatalog';
import type { RegistryClient } from './registry/registryClient';
import { isSchemaNotFoundError } from './registry/registryErrors';
import { fromWireFormat, toWireFormat } from './wire/wireFormat';

export interface EncodedEvent {
  topic: string;
  schemaId: number;
  value: Buffer;
}

export interface DecodedEvent {
  event: AgentEvent;
  schemaId: number;
  /** Full name of the writer's record, e.g. agentbus.task.TaskCreated. */
  recordName: string;
}

export interface AvroEventCodecOptions {
  registry: RegistryClient;
  catalog: SchemaCatalog;
  topicPrefix: string;
}

interface Reader {
  type: avro.Type;
  resolver: avro.Resolver | undefined;
  recordName: string;
}

/**
 * Avro in the Confluent wire format. Writers use the newest local version of each event type;
 * readers decode any registered writer version into their newest local version.
 */
export class AvroEventCodec {
  private readonly registry: RegistryClient;
  private readonly catalog: SchemaCatalog;
  private readonly topicPrefix: string;
  private readonly writerIds = new Map<EventSchema, Promise<number>>();
  private readonly readers = new Map<number, Promise<Reader>>();

  constructor(options: AvroEventCodecOptions) {
    this.registry = options.registry;
    this.catalog = options.catalog;
    this.topicPrefix = options.topicPrefix;
  }

  topicFor(eventType: string): string {
    return topicName(this.topicPrefix, this.catalog.latest(eventType).category);
  }

  subjectFor(schema: EventSchema): string {
    return subjectName(topicName(this.topicPrefix, schema.category), schema.recordName);
  }

  /**
   * Registers every version of the given types (all by default) oldest first, so registry
   * version numbers follow file versions. Idempotent.
   */
  async registerSchemas(eventTypes: readonly string[] = this.catalog.eventTypes()): Promise<{ subject: string; version: number; id: number }[]> {
    const registered: { subject: string; version: number; id: number }[] = [];
    for (const eventType of eventTypes) {
      for (const schema of this.catalog.history(eventType)) {
        const subject = this.subjectFor(schema);
        const id = await this.registry.register(subject, schema.schema);
        this.writerIds.set(schema, Promise.resolve(id));
        registered.push({ subject, version: schema.version, id });
      }
    }
    return registered;
  }

  /** Validates and encodes; nothing invalid ever reaches the wire. */
  async encode(event: AgentEvent, options: { version?: number } = {}): Promise<EncodedEvent> {
    if (typeof event?.type !== 'string' || !this.catalog.has(event.type)) {
      throw new EventValidationError(String(event?.type ?? ''), [{ path: 'type', message: `unknown event type ${JSON.stringify(event?.type)}` }]);
    }
    const schema = options.version === undefined ? this.catalog.latest(event.type) : this.catalog.version(event.type, options.version);
    const record = toAvroRecord(event, String(schema.version));
    assertValid(schema, record);
    const schemaId = await this.writerId(schema);
    return { topic: topicName(this.topicPrefix, schema.category), schemaId, value: toWireFormat(schemaId, schema.avroType.toBuffer(record)) };
  }

  async decode(bytes: Buffer | null | undefined): Promise<DecodedEvent> {
    const { schemaId, body } = fromWireFormat(bytes);
    const reader = await this.readerFor(schemaId);
    let record: unknown;
    try {
      record = reader.type.fromBuffer(body, reader.resolver);
    } catch (error) {
      throw new EventDecodeError(`Avro body does not match schema ${schemaId}: ${(error as Error).message}`, { cause: error, schemaId });
    }
    return { event: fromAvroRecord(record as AvroRecord), schemaId, recordName: reader.recordName };
  }

  private writerId(schema: EventSchema): Promise<number> {
    let id = this.writerIds.get(schema);
    if (!id) {
      id = this.registry.lookup(this.subjectFor(schema), schema.schema);
      this.writerIds.set(schema, id);
      id.catch(() => this.writerIds.delete(schema));
    }
    return id;
  }

  private readerFor(schemaId: number): Promise<Reader> {
    let reader = this.readers.get(schemaId);
    if (!reader) {
      reader = this.buildReader(schemaId);
      this.readers.set(schemaId, reader);
      // Only a permanent answer is cached; a registry outage must not poison the cache.
      reader.catch(() => this.readers.delete(schemaId));
    }
    return reader;
  }

  private async buildReader(schemaId: number): Promise<Reader> {
    let writerSchema: object;
    try {
      writerSchema = await this.registry.schemaById(schemaId);
    } catch (error) {
      if (isSchemaNotFoundError(error)) throw new EventDecodeError(`unknown schema id ${schemaId}`, { cause: error, schemaId });
      throw error;
    }
    let writer: avro.Type;
    try {
      writer = avro.Type.forSchema(writerSchema as avro.Schema);
    } catch (error) {
      throw new EventDecodeError(`schema ${schemaId} is not valid Avro: ${(error as Error).message}`, { cause: error, schemaId });
    }
    const recordName = writer.name ?? '(anonymous)';
    const local = this.catalog.latestByRecordName(recordName);
    if (!local) return { type: writer, resolver: undefined, recordName };
    try {
      return { type: local.avroType, resolver: local.avroType.createResolver(writer), recordName };
    } catch (error) {
      if (isAgentbusError(error)) throw error;
      throw new EventDecodeError(`local ${recordName} v${local.version} cannot read schema ${schemaId}: ${(error as Error).message}`, { cause: error, schemaId });
    }
  }
}

type AvroRecord = Omit<AgentEvent, 'metadata'> & { metadata: { correlationId: string | null; causationId: string | null; version: string } };

const toAvroRecord = (event: AgentEvent, version: string): AvroRecord => ({
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

const fromAvroRecord = (record: AvroRecord): AgentEvent => {
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

const assertValid = (schema: EventSchema, record: AvroRecord): void => {
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
