import * as avro from 'avsc';
import {
  EventDecodeError,
  EventValidationError,
  isAgentbusError,
  isNotAnAgentbusEventError,
  isUnknownEventTypeError,
  topicName,
  type AgentEvent,
} from '@agentbus/events';
import { assertWritable, fromAvroRecord, toAvroRecord, type AvroRecord } from './catalog/avroRecord';
import { subjectName } from './catalog/naming';
import type { EventSchema, SchemaCatalog } from './catalog/schemaCatalog';
import type { RegistryClient } from './registry/registryClient';
import { isSchemaNotFoundError } from './registry/registryErrors';
import { assertReadable, unreadableRecord } from './validation/eventRules';
import { encodeToWireFormat, fromWireFormat } from './wire/wireFormat';

export interface EncodedEvent {
  topic: string;
  schemaId: number;
  value: Buffer;
  /** The event as it was encoded (defaults filled in): exactly what consumers will decode. */
  event: AgentEvent;
}

export interface DecodedEvent {
  event: AgentEvent;
  schemaId: number;
  /** Full name of the writer's record, e.g. agentbus.task.TaskCreated. */
  recordName: string;
}

/** What the record says about its event outside the body, checked against it. */
export interface DecodeContext {
  /** The `agentbus-routing-key` header, when the record has one. */
  routingKeyHeader?: string;
}

export interface AvroEventCodecOptions {
  registry: RegistryClient;
  catalog: SchemaCatalog;
  topicPrefix: string;
}

interface Reader {
  /** The newest local version of the writer's event: what the body is read into and checked against. */
  local: EventSchema;
  resolver: avro.Resolver;
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
  // The settled entries of the two maps above: what the synchronous paths (encodeKnown, decodeKnown) use.
  private readonly knownWriterIds = new Map<EventSchema, number>();
  private readonly knownReaders = new Map<number, Reader>();

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
        this.knownWriterIds.set(schema, id);
        registered.push({ subject, version: schema.version, id });
      }
    }
    return registered;
  }

  /** Validates and encodes; nothing invalid ever reaches the wire. */
  async encode(event: AgentEvent, options: { version?: number } = {}): Promise<EncodedEvent> {
    const schema = this.writerSchema(event, options.version);
    const record = toAvroRecord(event, schema);
    assertWritable(schema, record);
    return this.encoded(schema, this.knownWriterIds.get(schema) ?? (await this.writerId(schema)), record);
  }

  /**
   * `encode` without a promise, for a type whose schema id this codec already knows (registered, or
   * used once): undefined otherwise, and the caller awaits `encode`. Publishing a batch pays one
   * promise per batch instead of one per event.
   */
  encodeKnown(event: AgentEvent): EncodedEvent | undefined {
    const schema = this.writerSchema(event, undefined);
    const schemaId = this.knownWriterIds.get(schema);
    if (schemaId === undefined) return undefined;
    const record = toAvroRecord(event, schema);
    assertWritable(schema, record);
    return this.encoded(schema, schemaId, record);
  }

  private writerSchema(event: AgentEvent, version: number | undefined): EventSchema {
    if (typeof event?.type !== 'string' || !this.catalog.has(event.type)) {
      throw new EventValidationError(String(event?.type ?? ''), [{ path: 'type', message: `unknown event type ${JSON.stringify(event?.type)}` }]);
    }
    return version === undefined ? this.catalog.latest(event.type) : this.catalog.version(event.type, version);
  }

  private encoded(schema: EventSchema, schemaId: number, record: AvroRecord): EncodedEvent {
    return { topic: topicName(this.topicPrefix, schema.category), schemaId, value: encodeToWireFormat(schemaId, schema.avroType, record), event: fromAvroRecord(record) };
  }

  /**
   * Returns only an event that passes every check the SDK applies when it writes, whoever wrote the
   * record; anything else throws a non-retriable error with its own code. Only an unreachable
   * registry is retriable.
   */
  async decode(bytes: Buffer | null | undefined, context: DecodeContext = {}): Promise<DecodedEvent> {
    const { schemaId, body } = fromWireFormat(bytes);
    return this.read(this.knownReaders.get(schemaId) ?? (await this.readerFor(schemaId)), schemaId, body, context);
  }

  /**
   * `decode` without a promise, for a record whose writer schema this codec has already read: undefined
   * when it has not (the caller awaits `decode`, which may need the registry). Throws what `decode` throws.
   */
  decodeKnown(bytes: Buffer | null | undefined, context: DecodeContext = {}): DecodedEvent | undefined {
    const { schemaId, body } = fromWireFormat(bytes);
    const reader = this.knownReaders.get(schemaId);
    return reader && this.read(reader, schemaId, body, context);
  }

  private read(reader: Reader, schemaId: number, body: Buffer, context: DecodeContext): DecodedEvent {
    let record: unknown;
    try {
      record = reader.local.avroType.fromBuffer(body, reader.resolver);
    } catch (error) {
      throw new EventDecodeError(`Avro body does not match schema ${schemaId}: ${(error as Error).message}`, { cause: error, schemaId });
    }
    const event = fromAvroRecord(record as AvroRecord);
    assertReadable(reader.local, event, { schemaId, routingKeyHeader: context.routingKeyHeader });
    return { event, schemaId, recordName: reader.recordName };
  }

  private writerId(schema: EventSchema): Promise<number> {
    let id = this.writerIds.get(schema);
    if (!id) {
      id = this.registry.lookup(this.subjectFor(schema), schema.schema);
      this.writerIds.set(schema, id);
      id.then(
        (known) => this.knownWriterIds.set(schema, known),
        () => this.writerIds.delete(schema),
      );
    }
    return id;
  }

  private readerFor(schemaId: number): Promise<Reader> {
    let reader = this.readers.get(schemaId);
    if (!reader) {
      reader = this.buildReader(schemaId);
      this.readers.set(schemaId, reader);
      // A registry outage must not poison the cache; a schema that is no event of ours stays refused.
      reader.then(
        (known) => this.knownReaders.set(schemaId, known),
        (error: unknown) => {
          if (!isNotAnAgentbusEventError(error) && !isUnknownEventTypeError(error)) this.readers.delete(schemaId);
        },
      );
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
    // Refused before any field is read: a foreign record has none of the envelope's fields.
    if (!local) throw unreadableRecord(recordName, schemaId);
    try {
      return { local, resolver: local.avroType.createResolver(writer), recordName };
    } catch (error) {
      if (isAgentbusError(error)) throw error;
      throw new EventDecodeError(`local ${recordName} v${local.version} cannot read schema ${schemaId}: ${(error as Error).message}`, { cause: error, schemaId });
    }
  }
}

