import type { Knex } from 'knex';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, type TestDatabase } from '@agentbus/testing';
import { generateSigningKey } from '../signingKey';
import { migrateIdentity, policyReaderRole } from './migrations';
import { allowAgent, listAgents, postgresAgentPolicy, revokeAgent } from './postgresAgentPolicy';

describe('the agent policy in Postgres', () => {
  let database: TestDatabase;
  let db: Knex;
  beforeAll(async () => {
    database = await createTestDatabase('policy', parseConfig(connectionSchema).databaseUrl);
    db = createDatabase({ url: database.url, applicationName: 'policy-test' });
    await migrateIdentity(db);
    await migrateIdentity(db);
  });
  afterAll(async () => {
    await db?.destroy();
    await database?.drop();
  });

  it('allows, replaces, revokes and re-allows; rotation is a new key beside the old, then the old revoked', async () => {
    const old = generateSigningKey();
    const rotated = generateSigningKey();
    await allowAgent(db, { did: old.did, types: ['task.*'], name: 'worker-1' });
    await allowAgent(db, { did: old.did, types: ['task.*', 'agent.*'] });
    await allowAgent(db, { did: rotated.did, types: ['task.*', 'agent.*'], name: 'worker-1' });
    await revokeAgent(db, old.did);
    const grants = await listAgents(db);
    expect(grants.map((g) => [g.did, g.name, g.types, g.revokedAt !== null])).toEqual(
      expect.arrayContaining([
        [old.did, 'worker-1', ['task.*', 'agent.*'], true],
        [rotated.did, 'worker-1', ['task.*', 'agent.*'], false],
      ]),
    );
    expect((await allowAgent(db, { did: old.did, types: ['task.*'] })).revokedAt).toBeNull();
    expect(await revokeAgent(db, generateSigningKey().did)).toBeUndefined();
    await expect(allowAgent(db, { did: 'did:web:example.com', types: ['#'] })).rejects.toMatchObject({ code: 'DID_INVALID' });
  });

  it('is read by services as a role that may select the policy and nothing more', async () => {
    const key = generateSigningKey();
    await allowAgent(db, { did: key.did, types: ['#'] });
    expect((await postgresAgentPolicy(db).grantOf(key.did))?.types).toEqual(['#']);
    await expect(
      db.transaction(async (trx) => {
        await trx.raw(`set local role ${policyReaderRole}`);
        await trx.raw(`update identity.agents set types = '{#}'`);
      }),
    ).rejects.toThrow(/permission denied/);
  });

  it('keeps its snapshot for refreshMs, then sees a revocation', async () => {
    const key = generateSigningKey();
    await allowAgent(db, { did: key.did, types: ['task.*'] });
    let now = 0;
    const policy = postgresAgentPolicy(db, { refreshMs: 1000, now: () => now });
    expect((await policy.grantOf(key.did))?.revokedAt).toBeNull();
    await revokeAgent(db, key.did);
    expect((await policy.grantOf(key.did))?.revokedAt).toBeNull();
    now = 1000;
    expect((await policy.grantOf(key.did))?.revokedAt).toBeInstanceOf(Date);
  });

  it('says POLICY_UNAVAILABLE, retriable, when it cannot be read', async () => {
    const broken = createDatabase({ url: database.url.replace(/\/[^/]+$/, '/no_such_database_here'), applicationName: 'policy-test' });
    try {
      await expect(postgresAgentPolicy(broken).grantOf('did:key:z6Mkx')).rejects.toMatchObject({ code: 'POLICY_UNAVAILABLE', retriable: true });
    } finally {
      await broken.destroy();
    }
  });
});
