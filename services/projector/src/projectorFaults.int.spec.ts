import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import type { AgentEvent } from '@agentbus/events';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { allProjections, replay } from '@agentbus/projections';
import { activeSchema } from '@agentbus/read-models';
import { createTestDatabase, createTestTopics, mixedWorkload, readTables, restartPostgres, type ServiceProcess, spawnService, type TestDatabase, type TestTopics } from '@agentbus/testing';
import type { Knex } from 'knex';

const logger = createLogger({ name: 'faults-test', level: process.env.LOG_LEVEL ?? 'fatal', pretty: false });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (probe: () => Promise<boolean>, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
};

// Each SIGKILL leaves a dead group member until the broker expires its session (6 s here).
jest.setTimeout(240_000);

describe('projector under faults (a real process, a real Postgres)', () => {
  let topics: TestTopics;
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let bus: KafkaEventBus;
  let db: Knex;
  let projector: ServiceProcess | undefined;

  const startProjector = async (): Promise<ServiceProcess> => {
    const p = spawnService('services/projector/src/main.ts', env);
    await until(async () => p.output().includes('projector running'), 60_000, `the projector to start; output: ${p.output().slice(-500)}`);
    return p;
  };
  const eventCount = async () => {
    const { schema } = await activeSchema(db);
    return Number((await db.withSchema(schema).from('events').count({ n: '*' }))[0]!.n);
  };

  beforeEach(async () => {
    topics = await createTestTopics('faults');
    database = await createTestDatabase('faults', parseConfig(connectionSchema).databaseUrl);
    env = { AGENTBUS_TOPIC_PREFIX: topics.prefix, DATABASE_URL: database.url, PROJECTOR_HTTP_PORT: '0', PROJECTOR_SESSION_TIMEOUT_MS: '6000', LOG_LEVEL: 'info' };
    bus = createKafkaEventBus({ connection: parseConfig(connectionSchema, { ...process.env, ...env }), service: 'workload', logger });
    await bus.registerSchemas();
    db = createDatabase({ url: database.url });
  });
  afterEach(async () => {
    await projector?.kill('SIGKILL');
    projector = undefined;
    await bus.close();
    await db.destroy();
    await topics.cleanup();
    await database.drop();
  });

  it('SIGKILLed at random points several times, it ends identical to a clean replay: nothing lost, nothing twice', async () => {
    const workload = mixedWorkload({ tasks: 600, run: 'kill', seed: 11 });
    const published: AgentEvent[] = [];
    projector = await startProjector();
    const producing = (async () => {
      for (let i = 0; i < workload.length; i += 40) {
        published.push(...(await bus.publishMany(workload.slice(i, i + 40))));
        await sleep(15);
      }
    })();
    let kills = 0;
    for (let round = 0; round < 4; round++) {
      await sleep(300 + Math.floor(Math.random() * 900));
      await projector.kill('SIGKILL');
      kills++;
      projector = await startProjector();
    }
    await producing;
    await until(async () => (await eventCount()) === published.length, 120_000, 'every event applied');
    await sleep(1500);

    const { schema } = await activeSchema(db);
    expect(kills).toBe(4);
    expect(await eventCount()).toBe(published.length);
    expect(await readTables(db, schema, allProjections)).toEqual(replay(allProjections, published));
  });

  it('rides out a Postgres restart mid-stream: it retries, recovers, and loses nothing', async () => {
    const workload = mixedWorkload({ tasks: 300, run: 'pg', seed: 5 });
    const published: AgentEvent[] = [];
    projector = await startProjector();
    published.push(...(await bus.publishMany(workload.slice(0, 300))));
    await until(async () => (await eventCount()) > 0, 30_000, 'projection to begin');

    const producing = (async () => {
      for (let i = 300; i < workload.length; i += 30) {
        published.push(...(await bus.publishMany(workload.slice(i, i + 30))));
        await sleep(20);
      }
    })();
    restartPostgres();
    await producing;

    await until(async () => (await eventCount()) === published.length, 120_000, 'every event applied after the restart');
    const { schema } = await activeSchema(db);
    expect(await readTables(db, schema, allProjections)).toEqual(replay(allProjections, published));
    // The restart reached the projector: a batch was retried, or (between batches) a pooled
    // connection was cut.
    expect(projector.output()).toMatch(/database unavailable; retrying the batch|Connection terminated|terminating connection|Connection ended unexpectedly/);
    expect(projector.child.exitCode).toBeNull();
  });
});
