import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as avro from 'avsc';
import { AgentbusError, ErrorCodes, eventCategories, type EventCategory } from '@agentbus/events';
import { eventRecordName, payloadRecordName } from './naming';

interface AvroField {
  name: string;
  type: unknown;
  doc?: string;
  default?: unknown;
}
interface AvroRecordSchema {
  type: 'record';
  name: string;
  namespace?: string;
  doc?: string;
  fields: AvroField[];
}

export interface EventSchema {
  eventType: string;
  category: EventCategory;
  version: number;
  /** Full name of the composed event record, e.g. agentbus.task.TaskCreated. */
  recordName: string;
  /** The composed schema (envelope fields plus `payload`), as registered. */
  schema: AvroRecordSchema;
  avroType: avro.Type;
  file: string;
}

export interface SchemaCatalog {
  readonly schemas: readonly EventSchema[];
  eventTypes(): string[];
  latest(eventType: string): EventSchema;
  version(eventType: string, version: number): EventSchema;
  /** Every version of one type, oldest first. */
  history(eventType: string): readonly EventSchema[];
  /** The newest local version of the event record with this full name, if any. */
  latestByRecordName(recordName: string): EventSchema | undefined;
  has(eventType: string): boolean;
}

export class SchemaDefinitionError extends AgentbusError {
  constructor(file: string, reason: string) {
    super(ErrorCodes.schemaInvalid, `Schema ${file}: ${reason}`, { context: { file, reason } });
    this.name = 'SchemaDefinitionError';
  }
}

const fileName = /^([a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+)\.v([1-9][0-9]*)\.avsc$/;

/** Finds the repository's `schemas/` folder, or AGENTBUS_SCHEMAS_DIR when set (e.g. in an image). */
export const defaultSchemasDir = (): string => {
  if (process.env.AGENTBUS_SCHEMAS_DIR) return resolve(process.env.AGENTBUS_SCHEMAS_DIR);
  for (let dir = __dirname; ; dir = resolve(dir, '..')) {
    if (existsSync(join(dir, 'schemas', 'envelope.avsc'))) return join(dir, 'schemas');
    if (resolve(dir, '..') === dir) throw new SchemaDefinitionError('schemas/', 'no schemas/envelope.avsc above ' + __dirname);
  }
};

const readJson = (file: string): AvroRecordSchema => {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as AvroRecordSchema;
  } catch (error) {
    throw new SchemaDefinitionError(file, `not valid JSON (${(error as Error).message})`);
  }
};

export const composeEventSchema = (
  envelope: AvroRecordSchema,
  payload: AvroRecordSchema,
  category: EventCategory,
  eventType: string,
): AvroRecordSchema => {
  const recordName = eventRecordName(category, eventType);
  const dot = recordName.lastIndexOf('.');
  return {
    type: 'record',
    name: recordName.slice(dot + 1),
    namespace: recordName.slice(0, dot),
    doc: payload.doc ?? eventType,
    // The envelope's nested records are named in the agentbus namespace, so they stay one type across events.
    fields: [...envelope.fields.map((f) => qualifyEnvelopeField(f)), { name: 'payload', type: payload }],
  };
};

const qualifyEnvelopeField = (field: AvroField): AvroField => {
  const type = field.type as { name?: unknown } | null;
  return typeof type === 'object' && type !== null && typeof type.name === 'string' && !type.name.includes('.')
    ? { ...field, type: { ...type, name: `agentbus.${type.name}` } }
    : field;
};

export const loadSchemaCatalog = (dir: string = defaultSchemasDir()): SchemaCatalog => {
  const envelope = readJson(join(dir, 'envelope.avsc'));
  const byType = new Map<string, EventSchema[]>();

  for (const category of eventCategories) {
    const folder = join(dir, category);
    if (!existsSync(folder)) continue;
    for (const name of readdirSync(folder).sort()) {
      if (!name.endsWith('.avsc')) continue;
      const file = join(folder, name);
      const match = fileName.exec(name);
      if (!match) throw new SchemaDefinitionError(file, 'file name must be <event.type>.v<N>.avsc');
      const eventType = match[1]!;
      const version = Number(match[2]);
      const payload = readJson(file);
      const expected = payloadRecordName(category, eventType);
      const actual = payload.namespace && !payload.name.includes('.') ? `${payload.namespace}.${payload.name}` : payload.name;
      if (actual !== expected) throw new SchemaDefinitionError(file, `payload record must be named ${expected}, found ${actual}`);
      const schema = composeEventSchema(envelope, payload, category, eventType);
      let avroType: avro.Type;
      try {
        avroType = avro.Type.forSchema(schema as avro.Schema);
      } catch (error) {
        throw new SchemaDefinitionError(file, (error as Error).message);
      }
      const list = byType.get(eventType) ?? [];
      list.push({ eventType, category, version, recordName: eventRecordName(category, eventType), schema, avroType, file });
      byType.set(eventType, list);
    }
  }

  for (const [eventType, list] of byType) {
    list.sort((a, b) => a.version - b.version);
    list.forEach((s, i) => {
      if (s.version !== i + 1) throw new SchemaDefinitionError(s.file, `versions of ${eventType} must run 1..N without gaps`);
    });
    if (new Set(list.map((s) => s.category)).size > 1) {
      throw new SchemaDefinitionError(list[0]!.file, `${eventType} appears in more than one category`);
    }
  }
  return catalogOf([...byType.values()].flat());
};

const catalogOf = (schemas: EventSchema[]): SchemaCatalog => {
  const byType = new Map<string, EventSchema[]>();
  for (const s of schemas) byType.set(s.eventType, [...(byType.get(s.eventType) ?? []), s]);
  const byRecord = new Map<string, EventSchema>();
  for (const list of byType.values()) byRecord.set(list.at(-1)!.recordName, list.at(-1)!);

  const history = (eventType: string): EventSchema[] => {
    const list = byType.get(eventType);
    if (!list) throw new SchemaDefinitionError('schemas/', `no schema for event type "${eventType}"`);
    return list;
  };
  return {
    schemas,
    eventTypes: () => [...byType.keys()].sort(),
    history,
    latest: (eventType) => history(eventType).at(-1)!,
    version: (eventType, version) => {
      const found = history(eventType).find((s) => s.version === version);
      if (!found) throw new SchemaDefinitionError('schemas/', `no version ${version} of "${eventType}"`);
      return found;
    },
    latestByRecordName: (recordName) => byRecord.get(recordName),
    has: (eventType) => byType.has(eventType),
  };
};
