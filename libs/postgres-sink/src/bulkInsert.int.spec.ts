import type { Knex } from 'knex';
import { createTestDatabase, integrationConfig, type TestDatabase } from '@agentbus/testing';
import { bulkInsert, type BulkColumnType } from './bulkInsert';
import { createDatabase } from './database';

const columns: Record<string, BulkColumnType> = {
  id: 'text',
  n: 'integer',
  big: 'bigint',
  score: 'double',
  ok: 'boolean',
  at: 'timestamptz',
  doc: 'jsonb',
  tags: 'text[]',
};

describe('bulkInsert (real Postgres)', () => {
  let database: TestDatabase;
  let db: Knex;

  beforeAll(async () => {
    database = await createTestDatabase('bulk_insert', integrationConfig().databaseUrl);
    db = createDatabase({ url: database.url });
    await db.raw('create schema s');
    await db.raw('create table s.t (id text primary key, n integer, big bigint, score double precision, ok boolean, at timestamptz, doc jsonb, tags text[])');
  });

  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  beforeEach(() => db.raw('truncate s.t'));

  it('inserts every column type, NULLs and awkward text intact, and returns the inserted keys', async () => {
    const at = new Date('2026-11-25T01:02:03.456Z');
    const rows = [
      { id: 'a', n: 1, big: '9007199254740993', score: 0.25, ok: true, at, doc: { nested: { quote: 'say "hi"', list: [1, 2] } }, tags: ['x', 'with,comma', 'with"quote', '{brace}', 'NULL', ''] },
      { id: "b'; drop table s.t; --", n: null, big: null, score: null, ok: false, at: null, doc: null, tags: [] },
      { id: 'c' },
    ];
    const returned = await bulkInsert<{ id: string }>(db, { schema: 's', table: 't', columns, rows, key: ['id'], returning: ['id'] });
    expect(returned.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id).sort());

    const stored = await db.withSchema('s').from('t').orderBy('id');
    expect(stored).toEqual([
      { id: 'a', n: 1, big: '9007199254740993', score: 0.25, ok: true, at, doc: { nested: { quote: 'say "hi"', list: [1, 2] } }, tags: ['x', 'with,comma', 'with"quote', '{brace}', 'NULL', ''] },
      { id: "b'; drop table s.t; --", n: null, big: null, score: null, ok: false, at: null, doc: null, tags: [] },
      { id: 'c', n: null, big: null, score: null, ok: null, at: null, doc: null, tags: null },
    ]);
  });

  it('takes a timestamptz as epoch milliseconds or as a Date', async () => {
    await bulkInsert(db, { schema: 's', table: 't', columns, rows: [{ id: 'ms', at: 1764032523456 }, { id: 'date', at: new Date(1764032523456) }], key: ['id'] });
    expect(await db.withSchema('s').from('t').select('id', 'at').orderBy('id')).toEqual([
      { id: 'date', at: new Date(1764032523456) },
      { id: 'ms', at: new Date(1764032523456) },
    ]);
  });

  it('stores a jsonb string as a JSON string, not as parsed JSON', async () => {
    await bulkInsert(db, { schema: 's', table: 't', columns, rows: [{ id: 's', doc: 'not json {' }, { id: 'n', doc: '42' }], key: ['id'] });
    expect(await db.withSchema('s').from('t').select('id', 'doc').orderBy('id')).toEqual([{ id: 'n', doc: '42' }, { id: 's', doc: 'not json {' }]);
  });

  it('does nothing on conflict without merge columns, and returns only the new rows', async () => {
    await bulkInsert(db, { schema: 's', table: 't', columns, rows: [{ id: 'a', n: 1 }], key: ['id'] });
    const returned = await bulkInsert<{ id: string }>(db, { schema: 's', table: 't', columns, rows: [{ id: 'a', n: 2 }, { id: 'b', n: 3 }], key: ['id'], returning: ['id'] });
    expect(returned).toEqual([{ id: 'b' }]);
    expect(await db.withSchema('s').from('t').select('id', 'n').orderBy('id')).toEqual([{ id: 'a', n: 1 }, { id: 'b', n: 3 }]);
  });

  it('overwrites only the merge columns on conflict', async () => {
    await bulkInsert(db, { schema: 's', table: 't', columns, rows: [{ id: 'a', n: 1, score: 1.5 }], key: ['id'] });
    await bulkInsert(db, { schema: 's', table: 't', columns: { id: 'text', n: 'integer' }, rows: [{ id: 'a', n: 7 }], key: ['id'], merge: ['n'] });
    expect(await db.withSchema('s').from('t').select('id', 'n', 'score')).toEqual([{ id: 'a', n: 7, score: 1.5 }]);
  });

  it('refuses an identifier that is not a plain lower-case name, naming it', async () => {
    await expect(bulkInsert(db, { schema: 's', table: 't"; drop table s.t; --', columns, rows: [{ id: 'x' }], key: ['id'] })).rejects.toThrow(/not a valid lower-case SQL identifier/);
  });

  it('sends nothing for no rows', async () => {
    await expect(bulkInsert(db, { schema: 'nope', table: 'missing', columns, rows: [], key: ['id'] })).resolves.toEqual([]);
  });
});
