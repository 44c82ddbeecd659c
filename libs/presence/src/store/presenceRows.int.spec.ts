import { connectionSchema, parseConfig } from '@agentbus/config';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, type TestDatabase } from '@agentbus/testing';
import type { Knex } from 'knex';
import type { AgentPresence } from '../detector/agentPresence';
import { timeoutPolicy } from '../detector/timeoutPolicy';
import { migratePresence } from './migrations';
import { loadPresence, savePresence } from './presenceRows';

const T = Date.UTC(2026, 10, 25, 3, 0, 0, 123);
const agent = (agentId: string, partition: number, overrides: Partial<AgentPresence> = {}): AgentPresence => ({
  agentId,
  partition,
  status: 'online',
  agentClass: 'summariser',
  capabilities: ['summarise', 'translate'],
  specializations: ['financial'],
  capacity: 4,
  heartbeatIntervalMs: 5000,
  health: 'degraded',
  load: 0.25,
  memoryUsageBytes: 5_000_000_000,
  inFlight: 1,
  backpressureState: 'paused',
  backpressureSince: T - 1000,
  backpressureQueueSize: 12,
  lastSeenAt: T,
  lastEventId: 'evt-1',
  lastHeartbeatAt: T - 5,
  suspectedAt: null,
  timeoutMs: 30_000,
  deadline: T + 30_000,
  owedRecovery: null,
  ...overrides,
});

describe('presence rows in Postgres', () => {
  let database: TestDatabase;
  let db: Knex;
  beforeAll(async () => {
    database = await createTestDatabase('presence_rows', parseConfig(connectionSchema).databaseUrl);
    db = createDatabase({ url: database.url });
  });
  afterAll(async () => {
    await db.destroy();
    await database.drop();
  });

  it('migrates once, and a second run changes nothing', async () => {
    expect(await migratePresence(db)).toEqual(['001_presence_agents', '002_presence_last_event_id']);
    expect(await migratePresence(db)).toEqual([]);
  });

  it('stores agents and loads those of the asked partitions back as they were, with the timeout of the policy and no deadline', async () => {
    const policy = timeoutPolicy({ monitorId: 'm', byClass: { summariser: 45_000 } });
    await savePresence(db, [agent('a', 0), agent('b', 1, { status: 'suspected', suspectedAt: T + 31_000, load: null, backpressureState: null, backpressureSince: null, lastEventId: null })]);
    await savePresence(db, [agent('a', 0, { load: 0.75, lastSeenAt: T + 10 })]);
    const loaded = await loadPresence(db, [0, 1], policy);
    const byId = Object.fromEntries(loaded.map((a) => [a.agentId, a]));
    expect(byId.a).toEqual({ ...agent('a', 0, { load: 0.75, lastSeenAt: T + 10 }), timeoutMs: 45_000, deadline: null });
    expect(byId.b).toMatchObject({ status: 'suspected', suspectedAt: T + 31_000, load: null, backpressureState: null, lastEventId: null });
    expect(await loadPresence(db, [2], policy)).toEqual([]);
  });
});
