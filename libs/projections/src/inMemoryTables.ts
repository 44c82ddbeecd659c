import type { TableDefinition } from './projection';
import { stableKey, type Row, type RowChange } from './rowChange';

/** Table name → stable key string → row. */
export type InMemoryTables = Record<string, Record<string, Row>>;

export const emptyTables = (definitions: readonly TableDefinition[]): InMemoryTables =>
  Object.fromEntries(definitions.map((definition) => [definition.name, {}]));

const nullRow = (columns: readonly string[] | undefined): Row => Object.fromEntries((columns ?? []).map((column) => [column, null]));

/**
 * Applies changes as Postgres would: an upsert is `INSERT ... ON CONFLICT (key) DO UPDATE SET <set
 * columns> = EXCLUDED.<set columns>`, an append is `INSERT ... ON CONFLICT (key) DO NOTHING`.
 * With `definitions`, a new row gets null for every column it does not name, as a SQL insert does;
 * without them, a missing column stands for null. Returns new state; `tables` is left untouched.
 */
export const applyChanges = (
  tables: InMemoryTables,
  changes: readonly RowChange[],
  definitions: readonly TableDefinition[] = [],
): InMemoryTables => {
  const columnsOf = new Map(definitions.map((definition) => [definition.name, Object.keys(definition.columns)]));
  const next: InMemoryTables = { ...tables };
  const copied = new Set<string>();
  const rowsOf = (table: string): Record<string, Row> => {
    if (!copied.has(table)) {
      next[table] = { ...tables[table] };
      copied.add(table);
    }
    return next[table] as Record<string, Row>;
  };

  for (const change of changes) {
    const rows = rowsOf(change.table);
    const id = stableKey(change.key);
    const existing = rows[id];
    switch (change.kind) {
      case 'upsert':
        rows[id] = existing ? { ...existing, ...change.set } : { ...nullRow(columnsOf.get(change.table)), ...change.key, ...change.set };
        break;
      case 'append':
        if (!existing) rows[id] = { ...nullRow(columnsOf.get(change.table)), ...change.row, ...change.key };
        break;
      default:
        return unknownChange(change);
    }
  }
  return next;
};

const unknownChange = (change: never): never => {
  throw new Error(`unknown row change kind ${(change as RowChange).kind}`);
};
