/**
 * A row as plain JSON-compatible values. Columns of type `timestamptz` hold epoch milliseconds;
 * the SQL adapter converts them with `new Date(ms)`, so projections stay free of time zones.
 */
export type Row = Record<string, unknown>;

/** Upsert: insert the row (key + set) or update only the `set` columns of the existing row. */
export interface Upsert {
  kind: 'upsert';
  table: string;
  key: Row;
  set: Row;
}

/** Append-only insert, ignored if a row with the same key exists (history tables keyed by event_id). */
export interface Append {
  kind: 'append';
  table: string;
  key: Row;
  row: Row;
}

export type RowChange = Upsert | Append;

export const upsert = (table: string, key: Row, set: Row): Upsert => ({ kind: 'upsert', table, key, set });

export const append = (table: string, key: Row, row: Row): Append => ({ kind: 'append', table, key, row });

/** One string per key whatever the order of its columns, so `{a, b}` and `{b, a}` name the same row. */
export const stableKey = (key: Row): string =>
  JSON.stringify(
    Object.keys(key)
      .sort()
      .map((column) => [column, key[column]]),
  );
