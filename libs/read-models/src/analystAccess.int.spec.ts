import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, type TestDatabase } from '@agentbus/testing';
import type { Knex } from 'knex';
import { ensureLiveReadModels } from './generations';

describe('analyst access to the read models', () => {
  let database: TestDatabase;
  let db: Knex;
  beforeAll(async () => {
    database = await createTestDatabase('analyst', parseConfig(connectionSchema).databaseUrl);
    db = createDatabase({ url: database.url });
    await ensureLiveReadModels(db);
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  const asAnalyst = <T>(fn: (trx: Knex.Transaction) => Promise<T>): Promise<T> =>
    db.transaction(async (trx) => {
      await trx.raw('set local role agentbus_analyst');
      return fn(trx);
    });

  it('reads every documented view', async () => {
    for (const view of ['tasks', 'agents', 'decisions', 'trust_scores', 'trust_score_history', 'violations', 'events']) {
      await expect(asAnalyst((trx) => trx.raw(`select * from read.${view} limit 1`))).resolves.toBeDefined();
    }
  });

  it.each([
    ['insert into read.tasks (task_id, status) values (?, ?)', ['x', 'created']],
    ["update read.tasks set status = 'failed'", []],
    ['delete from read.events', []],
    ['select * from read_models_g1.tasks', []],
    ['select * from agentbus_meta.projection_state', []],
    ['create table read.mine (x int)', []],
  ])('cannot run %s', async (sql, bindings) => {
    await expect(asAnalyst((trx) => trx.raw(sql, bindings))).rejects.toThrow(/permission denied/);
  });

  it('runs every query in docs/analyst-queries.md', async () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'analyst-queries.md'), 'utf8');
    const queries = [...doc.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((q) => q.trim().startsWith('select'));
    expect(queries.length).toBeGreaterThanOrEqual(6);
    for (const query of queries) await expect(asAnalyst((trx) => trx.raw(query))).resolves.toBeDefined();
  });
});
