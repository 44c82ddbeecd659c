import { finished } from 'node:stream/promises';
import type { Knex } from 'knex';
import type { PoolClient } from 'pg';
import { from as copyFrom, type CopyStreamQuery } from 'pg-copy-streams';
import type { BulkColumnType } from './bulkInsert';
import { assertIdentifier } from './database';

// COPY's text format: https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2
const nullField = '\\N';
const specials = /[\\\n\r\t]/;
const escapeField = (text: string): string =>
  specials.test(text) ? text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t') : text;

// Array literal elements are always quoted: inside quotes only " and \ need a backslash.
const arrayElement = (value: unknown): string => (value === null || value === undefined ? 'NULL' : `"${scalarText(value).replace(/["\\]/g, (c) => `\\${c}`)}"`);

const scalarText = (value: unknown): string => (typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value));

const postgresEpochSeconds = 946_684_800;
/** Round half to even, as C's rint() in Postgres' to_timestamp. */
const rint = (x: number): number => {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

/**
 * Epoch milliseconds as `bulkInsert` turns them into a timestamptz (to_timestamp(ms / 1000)): the
 * same instant, whether the row went through COPY or INSERT. A whole millisecond is exact in
 * both; a fraction is written to the microsecond, rounded as to_timestamp rounds it.
 */
export const epochMsToTimestamptz = (ms: number): string => {
  if (Number.isInteger(ms)) return wholeMsText(ms);
  const micros = rint((ms / 1000 - postgresEpochSeconds) * 1e6) + postgresEpochSeconds * 1e6;
  const wholeMs = Math.floor(micros / 1000);
  const iso = new Date(wholeMs).toISOString();
  return `${iso.slice(0, 23)}${String(micros - wholeMs * 1000).padStart(3, '0')}+00`;
};

// Date#toISOString costs ~2 µs; rows of a replay mostly share their second with the row before.
let cachedSecond = Number.NaN;
let cachedPrefix = '';
const wholeMsText = (ms: number): string => {
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    const iso = new Date(second * 1000).toISOString();
    if (iso.length !== 24) return new Date(ms).toISOString();
    cachedPrefix = iso.slice(0, 20);
    cachedSecond = second;
  }
  const fraction = ms - second * 1000;
  return `${cachedPrefix}${fraction < 10 ? '00' : fraction < 100 ? '0' : ''}${fraction}Z`;
};

const numericText = /^-?[0-9]+(\.[0-9]+)?$/;

type FieldEncoder = (value: unknown) => string;

const encoders: Record<BulkColumnType, FieldEncoder> = {
  // JSON.stringify escapes every control character itself: only its backslashes need doubling.
  jsonb: (value) => {
    const json = JSON.stringify(value);
    return json.includes('\\') ? json.replace(/\\/g, '\\\\') : json;
  },
  timestamptz: (value) => {
    if (typeof value === 'number') return epochMsToTimestamptz(value);
    if (value instanceof Date) return value.toISOString();
    return typeof value === 'string' && numericText.test(value) ? epochMsToTimestamptz(Number(value)) : escapeField(scalarText(value));
  },
  'text[]': (value) => escapeField(Array.isArray(value) ? `{${value.map(arrayElement).join(',')}}` : scalarText(value)),
  boolean: (value) => (typeof value === 'boolean' ? (value ? 't' : 'f') : escapeField(scalarText(value))),
  text: (value) => escapeField(typeof value === 'string' ? value : scalarText(value)),
  integer: (value) => (typeof value === 'number' ? String(value) : escapeField(scalarText(value))),
  bigint: (value) => (typeof value === 'number' ? String(value) : escapeField(scalarText(value))),
  double: (value) => (typeof value === 'number' ? String(value) : escapeField(scalarText(value))),
};

/**
 * One field of a text-format COPY line, `\N` for NULL. Values convert as in `bulkInsert`, which
 * sends rows as JSON: what JSON.stringify drops or turns into null (undefined, NaN, Infinity)
 * is NULL here; a timestamptz is epoch ms (a number or numeric text), a Date or time text;
 * jsonb is the value's JSON (a JSON null is NULL, as json_to_recordset makes it).
 */
export const copyField = (value: unknown, type: BulkColumnType): string => {
  if (value === null || value === undefined || (typeof value === 'number' && !Number.isFinite(value))) return nullField;
  const encode = encoders[type];
  if (!encode) throw new Error(`unknown column type ${String(type)}`);
  return encode(value);
};

/** A row as one COPY line, its fields in `columns` order; a missing column is NULL. */
export const copyLine = (row: Readonly<Record<string, unknown>>, columns: readonly (readonly [string, BulkColumnType])[]): string => {
  let line = '';
  for (let i = 0; i < columns.length; i++) {
    const [name, type] = columns[i]!;
    if (i > 0) line += '\t';
    line += copyField(row[name], type);
  }
  return `${line}\n`;
};

export interface CopyTarget {
  schema: string;
  table: string;
  /** The columns written, with their SQL types; the table's other columns take their defaults. */
  columns: Readonly<Record<string, BulkColumnType>>;
}

export interface CopyWriter {
  /** Buffers a row; `flush` sends what is buffered (call it every few thousand rows). */
  push(row: Readonly<Record<string, unknown>>): void;
  /** Sends the buffered rows, waiting while the server is behind (backpressure). */
  flush(): Promise<void>;
  /** Sends the rest and completes the COPY; the number of rows the server stored. */
  end(): Promise<number>;
  /** Cancels the COPY (CopyFail), so the transaction's connection can run the rollback. */
  abort(): Promise<void>;
}

const chunkChars = 64 * 1024;

/** Starts `statement` (a `COPY … FROM STDIN`) on the transaction's own connection and returns the stream to write its data to. */
export const copyFromStdin = async (trx: Knex.Transaction, statement: string): Promise<CopyStreamQuery> => {
  // A knex transaction's client hands out the transaction's connection, not a pooled one.
  const connection = (await (trx.client as { acquireConnection(): Promise<PoolClient> }).acquireConnection()) as PoolClient;
  return connection.query(copyFrom(statement));
};

/**
 * `COPY … FROM STDIN` on the transaction's own connection, streamed: rows are loaded as they come,
 * in the transaction's snapshot, and vanish with it on rollback. Until `end` resolves, nothing else
 * may run on the transaction. A row the server refuses fails the whole COPY (and the transaction).
 */
export const copyInto = async (trx: Knex.Transaction, target: CopyTarget): Promise<CopyWriter> => {
  const columns = Object.entries(target.columns);
  for (const name of [target.schema, target.table, ...columns.map(([c]) => c)]) assertIdentifier(name);
  const stream = await copyFromStdin(trx, `copy "${target.schema}"."${target.table}" (${columns.map(([c]) => `"${c}"`).join(', ')}) from stdin`);
  let failure: unknown;
  const done = finished(stream).catch((error: unknown) => {
    failure ??= error;
  });
  let buffer = '';
  const send = async (): Promise<void> => {
    if (failure) throw failure;
    if (buffer.length > 0) stream.write(buffer);
    buffer = '';
    if (stream.writableNeedDrain) await Promise.race([new Promise((resolve) => stream.once('drain', resolve)), done]);
    if (failure) throw failure;
  };
  return {
    push: (row) => {
      buffer += copyLine(row, columns);
      // Small chunks stay in the young generation; a batch's lines as one string went to the large-object space.
      if (buffer.length >= chunkChars) {
        stream.write(buffer);
        buffer = '';
      }
    },
    flush: send,
    end: async () => {
      await send();
      stream.end();
      await done;
      if (failure) throw failure;
      return stream.rowCount;
    },
    abort: async () => {
      if (stream.writableFinished || stream.destroyed) return;
      stream.destroy(new Error('COPY aborted'));
      await done;
    },
  };
};
