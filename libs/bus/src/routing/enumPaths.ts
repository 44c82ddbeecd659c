import type { EventSchema } from '@agentbus/codec';

export type EnumPaths = ReadonlyMap<string, readonly string[] | 'conflict'>;

type AvroNode = string | AvroNode[] | { type: unknown; name?: string; symbols?: string[]; fields?: { name: string; type: AvroNode }[]; items?: AvroNode };

/** Every field path that holds an Avro enum (through records and nullable unions), with its symbols in order. */
export const enumPathsOf = (schemas: readonly EventSchema[]): EnumPaths => {
  const paths = new Map<string, readonly string[] | 'conflict'>();
  const add = (path: string, symbols: string[]) => {
    const seen = paths.get(path);
    if (seen === undefined) paths.set(path, symbols);
    else if (seen !== 'conflict' && seen.join('|') !== symbols.join('|')) paths.set(path, 'conflict');
  };
  const named = new Map<string, AvroNode>();
  const walk = (node: AvroNode, path: string): void => {
    if (typeof node === 'string') {
      const ref = named.get(node) ?? [...named.entries()].find(([n]) => n.endsWith(`.${node}`))?.[1];
      if (ref && path) walk(ref, path);
      return;
    }
    if (Array.isArray(node)) return node.forEach((branch) => walk(branch, path));
    if (node.name) named.set(node.name, node);
    if (node.type === 'enum' && node.symbols) return add(path, node.symbols);
    if (node.type === 'record' && node.fields) {
      for (const field of node.fields) walk(field.type, path ? `${path}.${field.name}` : field.name);
      return;
    }
    if (typeof node.type === 'object' || Array.isArray(node.type)) walk(node.type as AvroNode, path);
  };
  for (const schema of schemas) {
    named.clear();
    walk(schema.schema as unknown as AvroNode, '');
  }
  return paths;
};
