import { applyChanges, emptyTables, type InMemoryTables } from './inMemoryTables';
import type { TableDefinition } from './projection';
import { append, stableKey, upsert } from './rowChange';

const items: TableDefinition = { name: 'items', key: ['id'], columns: { id: 'text', a: 'integer', b: 'integer', c: 'text' } };
const log: TableDefinition = { name: 'log', key: ['event_id'], columns: { event_id: 'text', note: 'text', extra: 'text' } };
const row = (tables: InMemoryTables, table: string, key: Record<string, unknown>) => tables[table]?.[stableKey(key)];

describe('applyChanges', () => {
  it('inserts a new row as key + set, with null for every other declared column', () => {
    const tables = applyChanges(emptyTables([items]), [upsert('items', { id: 'x' }, { a: 1 })], [items]);
    expect(row(tables, 'items', { id: 'x' })).toEqual({ id: 'x', a: 1, b: null, c: null });
  });

  it('updates only the set columns of an existing row, as ON CONFLICT DO UPDATE SET does', () => {
    const tables = applyChanges({}, [upsert('items', { id: 'x' }, { a: 1, b: 2 }), upsert('items', { id: 'x' }, { b: 3, c: null })], [items]);
    expect(row(tables, 'items', { id: 'x' })).toEqual({ id: 'x', a: 1, b: 3, c: null });
  });

  it('without definitions leaves undeclared columns out: missing stands for null', () => {
    const tables = applyChanges({}, [upsert('items', { id: 'x' }, { a: 1 })]);
    expect(tables).toEqual({ items: { [stableKey({ id: 'x' })]: { id: 'x', a: 1 } } });
  });

  it('appends a row once and ignores later appends with the same key', () => {
    const tables = applyChanges({}, [append('log', { event_id: 'e1' }, { note: 'first' }), append('log', { event_id: 'e1' }, { note: 'second' })], [log]);
    expect(Object.values(tables['log'] ?? {})).toEqual([{ event_id: 'e1', note: 'first', extra: null }]);
  });

  it('treats keys with the same columns in another order as the same row', () => {
    const tables = applyChanges({}, [upsert('pairs', { a: 1, b: 2 }, { v: 1 }), upsert('pairs', { b: 2, a: 1 }, { v: 2 })]);
    expect(Object.values(tables['pairs'] ?? {})).toEqual([{ a: 1, b: 2, v: 2 }]);
  });

  it('returns new state and leaves the given state and its rows untouched', () => {
    const before = applyChanges({}, [upsert('items', { id: 'x' }, { a: 1 })], [items]);
    const snapshot = structuredClone(before);
    const after = applyChanges(before, [upsert('items', { id: 'x' }, { a: 2 }), upsert('items', { id: 'y' }, { a: 3 }), append('log', { event_id: 'e' }, {})], [items, log]);
    expect(before).toEqual(snapshot);
    expect(Object.keys(after['items'] ?? {})).toHaveLength(2);
  });

  it('is idempotent: the same upserts and appends applied twice give the state of applying them once', () => {
    const changes = [upsert('items', { id: 'x' }, { a: 1 }), append('log', { event_id: 'e1' }, { note: 'n' }), upsert('items', { id: 'x' }, { b: 2 })];
    const once = applyChanges({}, changes, [items, log]);
    expect(applyChanges(once, changes, [items, log])).toEqual(once);
  });
});
