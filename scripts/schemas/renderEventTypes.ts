import type { SchemaCatalog } from '@agentbus/codec';

export const generatedHeader = '// Generated from schemas/ by scripts/schemas/generateTypes.ts. Do not edit.';

interface AvroField {
  name: string;
  type: unknown;
  doc?: string;
  default?: unknown;
}
interface AvroNamed {
  type: 'record' | 'enum' | 'fixed';
  name: string;
  doc?: string;
  fields?: AvroField[];
  symbols?: string[];
}

export class RenderError extends Error {
  override name = 'RenderError';
}

const primitives: Record<string, string> = {
  null: 'null',
  boolean: 'boolean',
  int: 'number',
  long: 'number',
  float: 'number',
  double: 'number',
  string: 'string',
  // avsc decodes bytes and fixed to Buffer.
  bytes: 'Buffer',
};

// Names the rest of the file declares; a payload type with one of these would shadow it.
const reservedNames = new Set(['EventPayloads', 'EventType', 'eventTypeCategories', 'eventTypes', 'eventSchemaVersions']);

const shortName = (name: string): string => name.slice(name.lastIndexOf('.') + 1);
const lowerFirst = (name: string): string => name[0]!.toLowerCase() + name.slice(1);
const quote = (text: string): string => `'${text.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
const docComment = (doc: string | undefined, indent: string): string[] =>
  doc ? [`${indent}/** ${doc.replace(/\*\//g, '*\\/').replace(/\s*\n\s*/g, ' ')} */`] : [];

const isNullable = (type: unknown): boolean => Array.isArray(type) && type.includes('null');

/**
 * Renders the TypeScript types of the newest version of every event type in the catalog.
 * Pure: the same catalog always gives the same text, which is what the staleness check compares.
 */
export const renderEventTypes = (catalog: SchemaCatalog): string => {
  const eventTypes = catalog.eventTypes();
  // Declarations keyed by TypeScript name, in order of first appearance: event types sorted, then schema order.
  const declarations = new Map<string, { text: string; eventType: string }>();

  const declare = (name: string, text: string, eventType: string): void => {
    if (reservedNames.has(name) || reservedNames.has(lowerFirst(name) + 'Symbols')) {
      throw new RenderError(`${eventType}: type name ${name} clashes with a name the generated file declares`);
    }
    const existing = declarations.get(name);
    if (existing?.text && existing.text !== text) {
      throw new RenderError(`${eventType}: type ${name} is also defined differently by ${existing.eventType}; TypeScript names must be unique`);
    }
    // Setting an existing key keeps its position, so a reserved placeholder is filled in place.
    declarations.set(name, { text, eventType: existing?.eventType ?? eventType });
  };

  const typeOf = (type: unknown, eventType: string): string => {
    if (typeof type === 'string') return primitives[type] ?? shortName(type);
    if (Array.isArray(type)) {
      const members = type.filter((t) => t !== 'null').map((t) => typeOf(t, eventType));
      return [...members, ...(type.length > members.length ? ['null'] : [])].join(' | ');
    }
    const schema = type as { type: unknown; items?: unknown; values?: unknown };
    switch (schema.type) {
      case 'array': {
        const items = typeOf(schema.items, eventType);
        return items.includes(' ') ? `(${items})[]` : `${items}[]`;
      }
      case 'map':
        return `Record<string, ${typeOf(schema.values, eventType)}>`;
      case 'record':
      case 'enum':
        return named(type as AvroNamed, eventType);
      case 'fixed':
        return 'Buffer';
      default:
        // A primitive written as an object, possibly with a logicalType (timestamp-millis stays a number).
        return typeOf(schema.type, eventType);
    }
  };

  const named = (schema: AvroNamed, eventType: string): string => {
    const name = shortName(schema.name);
    if (schema.type === 'enum') {
      const symbols = schema.symbols ?? [];
      declare(
        name,
        [
          ...docComment(schema.doc, ''),
          `export type ${name} = ${symbols.map(quote).join(' | ')};`,
          `export const ${lowerFirst(name)}Symbols = [${symbols.map(quote).join(', ')}] as const;`,
        ].join('\n'),
        eventType,
      );
      return name;
    }
    // Nested types are declared while the fields render; reserving the record's place first puts it above them.
    if (!declarations.has(name)) declarations.set(name, { text: '', eventType });
    const fields = (schema.fields ?? []).flatMap((field) => {
      const optional = isNullable(field.type) && field.default === null ? '?' : '';
      return [...docComment(field.doc, '  '), `  ${field.name}${optional}: ${typeOf(field.type, eventType)};`];
    });
    const text = [...docComment(schema.doc, ''), `export interface ${name} {`, ...fields, '}'].join('\n');
    declare(name, text, eventType);
    return name;
  };

  const payloads = eventTypes.map((eventType) => {
    const latest = catalog.latest(eventType);
    const payload = latest.schema.fields.find((f) => f.name === 'payload');
    if (!payload) throw new RenderError(`${eventType}: composed schema has no payload field`);
    return { eventType, name: named(payload.type as AvroNamed, eventType), category: latest.category, version: latest.version };
  });

  const lines = [
    generatedHeader,
    '',
    ...[...declarations.values()].flatMap(({ text }) => [text, '']),
    '/** The payload type of every event type, newest schema version. */',
    'export interface EventPayloads {',
    ...payloads.map((p) => `  ${quote(p.eventType)}: ${p.name};`),
    '}',
    '',
    'export type EventType = keyof EventPayloads;',
    '',
    '/** The category, and so the topic, of every event type: where its schema file lives. */',
    'export const eventTypeCategories = {',
    ...payloads.map((p) => `  ${quote(p.eventType)}: ${quote(p.category)},`),
    '} as const;',
    '',
    '/** The schema version these types describe; producers put it in metadata.version. */',
    'export const eventSchemaVersions = {',
    ...payloads.map((p) => `  ${quote(p.eventType)}: ${p.version},`),
    '} as const;',
    '',
    'export const eventTypes = [',
    ...payloads.map((p) => `  ${quote(p.eventType)},`),
    '] as const;',
  ];
  return lines.join('\n') + '\n';
};
