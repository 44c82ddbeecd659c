import type { InMemoryTables } from './inMemoryTables';
import type { TableDefinition } from './projection';
import { stableKey, type Row, type RowChange } from './rowChange';

interface Table {
  /** The declared key columns, in declaration order; empty for an undeclared table. */
  key: readonly string[];
  nulls: Row;
  rows: Map<string, Row>;
  /** Each row's key as the change named it, for `toInMemoryTables`. */
  keys: Map<string, Row>;
}

/**
 * The read models held in memory and changed in place, with the semantics of `applyChanges` (an
 * upsert is INSERT … ON CONFLICT DO UPDATE SET <set columns>, an append is … DO NOTHING):
 * `applyChanges` copies its state on every call, which a replay of millions of events cannot
 * afford. Rows are kept in the order they were first inserted.
 */
export class MutableTables {
  private readonly tables = new Map<string, Table>();
  private count = 0;

  constructor(private readonly definitions: readonly TableDefinition[] = []) {
    for (const definition of definitions) this.tableOf(definition.name);
  }

  /** Rows held in every table together. */
  get rowCount(): number {
    return this.count;
  }

  apply(change: RowChange): void {
    const table = this.tableOf(change.table);
    const id = this.rowId(table, change.key);
    const existing = table.rows.get(id);
    switch (change.kind) {
      case 'upsert':
        if (existing) Object.assign(existing, change.set);
        else this.insert(table, id, change.key, { ...table.nulls, ...change.key, ...change.set });
        return;
      case 'append':
        if (!existing) this.insert(table, id, change.key, { ...table.nulls, ...change.row, ...change.key });
        return;
      default:
        unknownChange(change);
    }
  }

  applyAll(changes: readonly RowChange[]): void {
    for (const change of changes) this.apply(change);
  }

  /** A table's rows; they stay owned by the tables (do not change them). */
  rows(table: string): IterableIterator<Row> {
    return (this.tables.get(table)?.rows ?? new Map<string, Row>()).values();
  }

  tableNames(): string[] {
    return [...this.tables.keys()];
  }

  /** The same state as `applyChanges` gives: keyed by `stableKey`, rows copied. */
  toInMemoryTables(): InMemoryTables {
    const out: InMemoryTables = {};
    for (const [name, table] of this.tables) {
      out[name] = Object.fromEntries([...table.rows].map(([id, row]) => [stableKey(table.keys.get(id)!), { ...row }]));
    }
    return out;
  }

  private tableOf(name: string): Table {
    let table = this.tables.get(name);
    if (!table) {
      const definition = this.definitions.find((d) => d.name === name);
      table = { key: definition?.key ?? [], nulls: Object.fromEntries(Object.keys(definition?.columns ?? {}).map((c) => [c, null])), rows: new Map(), keys: new Map() };
      this.tables.set(name, table);
    }
    return table;
  }

  private insert(table: Table, id: string, key: Row, row: Row): void {
    table.rows.set(id, row);
    table.keys.set(id, key);
    this.count++;
  }

  /**
   * `stableKey` sorts and serialises the key on every change; a key naming exactly the declared
   * columns is identified more cheaply (a lone text key by its value). Text cannot hold NUL in
   * Postgres, so the prefixed forms never collide with a plain value.
   */
  private rowId(table: Table, key: Row): string {
    const columns = table.key;
    if (columns.length === 1) {
      const value = key[columns[0]!];
      if (value !== undefined && countKeys(key) === 1) return typeof value === 'string' ? value : `\u0000${JSON.stringify(value)}`;
    } else if (columns.length > 1 && countKeys(key) === columns.length && columns.every((c) => key[c] !== undefined)) {
      return `\u0001${JSON.stringify(columns.map((c) => key[c]))}`;
    }
    return `\u0002${stableKey(key)}`;
  }
}

const countKeys = (row: Row): number => {
  let n = 0;
  for (const _ in row) n++;
  return n;
};

const unknownChange = (change: never): never => {
  throw new Error(`unknown row change kind ${(change as RowChange).kind}`);
};
