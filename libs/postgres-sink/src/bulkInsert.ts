import type { Knex } from 'knex';
import { assertIdentifier } from './database';

export type BulkColumnType = 'text' | 'integer' | 'bigint' | 'double' | 'boolean' | 'timestamptz' | 'jsonb' | 'text[]';

export interface BulkInsert {
  schema: string;
  table: string;
  /** Every column a row may carry, with its SQL type; rows lacking a column insert NULL. */
  columns: Readonly<Record<string, BulkColumnType>>;
  rows: readonly Record<string, unknown>[];
  /** The conflict target (the primary key). */
  key: readonly string[];
  /** Columns to overwrite on conflict; none (or absent) means DO NOTHING. */
  merge?: readonly string[];
  /** Columns to return for the rows actually inserted or updated. */
  returning?: readonly string[];
}

// unnest() cannot carry a text[] per row (a 2-D array must be rectangular), so those travel as
// JSON text and are rebuilt in SQL; jsonb travels as text so Postgres parses it once, server-side.
const transport: Record<BulkColumnType, string> = {
  text: 'text',
  integer: 'integer',
  bigint: 'bigint',
  double: 'double precision',
  boolean: 'boolean',
  timestamptz: 'timestamptz',
  jsonb: 'text',
  'text[]': 'text',
};

const selectExpression = (type: BulkColumnType, name: string): string =>
  type === 'jsonb' ? `${name}::jsonb` : type === 'text[]' ? `case when ${name} is null then null else array(select jsonb_array_elements_text(${name}::jsonb)) end` : name;

const toTransport = (type: BulkColumnType, value: unknown): unknown => {
  if (value === undefined || value === null) return null;
  // A jsonb value is always the JSON of the JS value, so a plain string becomes a JSON string.
  if (type === 'text[]' || type === 'jsonb') return JSON.stringify(value);
  return value;
};

/**
 * A multi-row INSERT … ON CONFLICT whose rows arrive as one array per column through unnest():
 * a handful of bind parameters whatever the row count, where a VALUES list binds every cell (and
 * costs as much to build as to run). Rows must have distinct keys, as in any multi-row upsert.
 */
export const bulkInsert = async <TRow = Record<string, unknown>>(db: Knex | Knex.Transaction, insert: BulkInsert): Promise<TRow[]> => {
  if (insert.rows.length === 0) return [];
  const names = Object.keys(insert.columns);
  for (const name of [insert.schema, insert.table, ...names, ...insert.key, ...(insert.merge ?? []), ...(insert.returning ?? [])]) assertIdentifier(name);
  const arrays = names.map((name) => {
    const type = insert.columns[name]!;
    return insert.rows.map((row) => toTransport(type, row[name]));
  });
  const aliases = names.map((_, i) => `c${i}`);
  const conflict = insert.merge && insert.merge.length > 0 ? `do update set ${insert.merge.map((c) => `"${c}" = excluded."${c}"`).join(', ')}` : 'do nothing';
  const sql =
    `insert into "${insert.schema}"."${insert.table}" (${names.map((n) => `"${n}"`).join(', ')}) ` +
    `select ${names.map((n, i) => selectExpression(insert.columns[n]!, aliases[i]!)).join(', ')} ` +
    `from unnest(${names.map((n) => `?::${transport[insert.columns[n]!]}[]`).join(', ')}) as u(${aliases.join(', ')}) ` +
    `on conflict (${insert.key.map((k) => `"${k}"`).join(', ')}) ${conflict}` +
    (insert.returning && insert.returning.length > 0 ? ` returning ${insert.returning.map((c) => `"${c}"`).join(', ')}` : '');
  const result = await db.raw(sql, arrays);
  return result.rows as TRow[];
};
