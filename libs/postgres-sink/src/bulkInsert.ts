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

// How each type travels inside the JSON document, and how it becomes the column's value. A
// timestamptz may arrive as epoch milliseconds (a JSON number) or as an ISO string (a Date).
const transport: Record<BulkColumnType, string> = {
  text: 'text',
  integer: 'integer',
  bigint: 'bigint',
  double: 'double precision',
  boolean: 'boolean',
  timestamptz: 'text',
  jsonb: 'jsonb',
  'text[]': 'text[]',
};

const selectExpression = (type: BulkColumnType, name: string): string =>
  type === 'timestamptz' ? `case when ${name} ~ '^-{0,1}[0-9]+(\\.[0-9]+){0,1}$' then to_timestamp(${name}::double precision / 1000) else ${name}::timestamptz end` : name;

/**
 * A multi-row INSERT … ON CONFLICT whose rows arrive as ONE parameter, a JSON array of row
 * objects expanded by json_to_recordset(). A VALUES list binds every cell and costs as much to
 * build as to run; arrays per column (unnest) cost an escape per cell in JS; JSON.stringify is
 * native, and Postgres, which has the spare core, does the parsing. Rows must have distinct keys,
 * as in any multi-row upsert; a missing or undefined column inserts NULL.
 */
export const bulkInsert = async <TRow = Record<string, unknown>>(db: Knex | Knex.Transaction, insert: BulkInsert): Promise<TRow[]> => {
  if (insert.rows.length === 0) return [];
  const names = Object.keys(insert.columns);
  for (const name of [insert.schema, insert.table, ...names, ...insert.key, ...(insert.merge ?? []), ...(insert.returning ?? [])]) assertIdentifier(name);
  const conflict = insert.merge && insert.merge.length > 0 ? `do update set ${insert.merge.map((c) => `"${c}" = excluded."${c}"`).join(', ')}` : 'do nothing';
  const sql =
    `insert into "${insert.schema}"."${insert.table}" (${names.map((n) => `"${n}"`).join(', ')}) ` +
    `select ${names.map((n) => selectExpression(insert.columns[n]!, `x."${n}"`)).join(', ')} ` +
    `from json_to_recordset(?::json) as x(${names.map((n) => `"${n}" ${transport[insert.columns[n]!]}`).join(', ')}) ` +
    `on conflict (${insert.key.map((k) => `"${k}"`).join(', ')}) ${conflict}` +
    (insert.returning && insert.returning.length > 0 ? ` returning ${insert.returning.map((c) => `"${c}"`).join(', ')}` : '');
  const result = await db.raw(sql, [JSON.stringify(insert.rows)]);
  return result.rows as TRow[];
};
