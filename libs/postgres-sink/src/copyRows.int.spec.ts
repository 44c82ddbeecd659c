import type { Knex } from 'knex';
import { createTestDatabase, integrationConfig, type TestDatabase } from '@agentbus/testing';
import { bulkInsert, type BulkColumnType } from './bulkInsert';
import { copyInto } from './copyRows';
import { createDatabase } from './database';

const columns: Record<string, BulkColumnType> = { id: 'text', n: 'integer', big: 'bigint', score: 'double', ok: 'boolean', at: 'timestamptz', doc: 'jsonb', tags: 'text[]' };

const nasty = [
  { id: 'a', n: 1, big: '9007199254740993', score: 0.25, ok: true, at: 1_764_550_923_456, doc: { nested: { quote: 'say "hi"', tab: 'a\tb', nl: 'x\ny', bs: 'c:\\dir', list: [1, null] } }, tags: ['x', 'with,comma', 'with"quote', '{brace}', 'NULL', '', null, 'back\\slash', 'tab\there', 'new\nline'] },
  { id: "b'; drop table s.t; --\t\n\r\\", n: null, big: null, score: Number.NaN, ok: false, at: null, doc: null, tags: [] },
  { id: 'c' },
  { id: 'd', at: '1764550923456.5', doc: 'just text', score: -1e-300, big: 42 },
  { id: 'e', at: new Date('2026-11-25T01:02:03.456Z'), doc: [], tags: ['é', '🚀', '\\N'] },
  { id: 'f', at: '2026-11-25 03:02:03+02', doc: { '\\N': '\\.' }, ok: 'true', n: '7' },
  { id: '\\.', doc: 0, at: 1_764_550_923_007 },
  { id: 'g', at: -1.5, doc: { s: 'x\u0001y' } },
  { id: 'h', at: 1_764_550_924_050 },
  { id: 'i', at: 1_764_550_924_000.25 },
];

describe('copyInto (real Postgres)', () => {
  let database: TestDatabase;
  let db: Knex;

  beforeAll(async () => {
    database = await createTestDatabase('copy_rows', integrationConfig().databaseUrl);
    db = createDatabase({ url: database.url });
    await db.raw('create schema s');
    for (const table of ['by_insert', 'by_copy']) await db.raw(`create table s.${table} (id text primary key, n integer, big bigint, score double precision, ok boolean, at timestamptz, doc jsonb, tags text[])`);
  });

  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  const contents = async (table: string) => (await db.raw(`select id, n, big, score, ok, at, doc, tags, at::text as at_text from s.${table} order by id`)).rows;

  it('stores exactly what bulkInsert stores for the same rows, awkward values included', async () => {
    await db.transaction((trx) => bulkInsert(trx, { schema: 's', table: 'by_insert', columns, rows: nasty, key: ['id'] }));
    const stored = await db.transaction(async (trx) => {
      const writer = await copyInto(trx, { schema: 's', table: 'by_copy', columns });
      for (const row of nasty) writer.push(row);
      await writer.flush();
      return writer.end();
    });
    expect(stored).toBe(nasty.length);
    const expected = await contents('by_insert');
    expect(expected).toHaveLength(nasty.length);
    expect(await contents('by_copy')).toEqual(expected);
  });

  it('streams many rows with backpressure, and a refused row fails the COPY and rolls it back', async () => {
    await db.raw('truncate s.by_copy');
    const count = await db.transaction(async (trx) => {
      const writer = await copyInto(trx, { schema: 's', table: 'by_copy', columns: { id: 'text', doc: 'jsonb' } });
      for (let i = 0; i < 50_000; i++) {
        writer.push({ id: `row-${i}`, doc: { i, text: 'x'.repeat(100) } });
        if (i % 1000 === 999) await writer.flush();
      }
      return writer.end();
    });
    expect(count).toBe(50_000);
    await db.raw('truncate s.by_copy');

    const failing = db.transaction(async (trx) => {
      const writer = await copyInto(trx, { schema: 's', table: 'by_copy', columns: { id: 'text', n: 'integer' } });
      writer.push({ id: 'fine', n: 1 });
      writer.push({ id: 'refused', n: 'not a number' });
      await writer.flush();
      return writer.end();
    });
    await expect(failing).rejects.toThrow(/invalid input syntax for type integer/);
    expect(await contents('by_copy')).toEqual([]);
  });

  it('aborts a COPY half-way so the transaction can roll back on its connection', async () => {
    const abandoned = db.transaction(async (trx) => {
      const writer = await copyInto(trx, { schema: 's', table: 'by_copy', columns: { id: 'text' } });
      for (let i = 0; i < 1000; i++) writer.push({ id: `half-${i}` });
      await writer.flush();
      await writer.abort();
      throw new Error('the load failed elsewhere');
    });
    await expect(abandoned).rejects.toThrow('the load failed elsewhere');
    expect(await contents('by_copy')).toEqual([]);
  });
});
