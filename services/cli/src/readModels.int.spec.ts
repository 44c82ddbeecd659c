import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import type { AgentEvent } from '@agentbus/events';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { allProjections, replay } from '@agentbus/projections';
import { activeSchema, migrateSchema } from '@agentbus/read-models';
import { createTestDatabase, createTestTopics, mixedWorkload, readTables, spawnService, type ServiceProcess, type TestDatabase, type TestTopics } from '@agentbus/testing';
import type { Knex } from 'knex';

const logger = createLogger({ name: 'replay-test', level: 'fatal', pretty: false });
const bin = join(__dirname, '..', 'bin', 'agentbus.js');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (probe: () => Promise<boolean>, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
};
const agentbus = (args: string[], env: NodeJS.ProcessEnv) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env, LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });

describe('read models through the CLI (real projector process, Kafka and Postgres)', () => {
  let topics: TestTopics;
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let bus: KafkaEventBus;
  let db: Knex;
  let projector: ServiceProcess;
  const published: AgentEvent[] = [];
  const eventCount = async () => Number((await db.withSchema((await activeSchema(db)).schema).from('events').count({ n: '*' }))[0]!.n);

  beforeAll(async () => {
    topics = await createTestTopics('readmodels');
    database = await createTestDatabase('readmodels', parseConfig(connectionSchema).databaseUrl);
    env = { AGENTBUS_TOPIC_PREFIX: topics.prefix, DATABASE_URL: database.url, PROJECTOR_HTTP_PORT: '0', PROJECTOR_SESSION_TIMEOUT_MS: '6000', LOG_LEVEL: 'info' };
    bus = createKafkaEventBus({ connection: parseConfig(connectionSchema, { ...process.env, ...env }), service: 'workload', logger });
    await bus.registerSchemas();
    db = createDatabase({ url: database.url });
    projector = spawnService('services/projector/src/main.ts', env);
    await until(async () => projector.output().includes('projector running'), 60_000, 'the projector');
    const workload = mixedWorkload({ tasks: 300, run: 'live', seed: 3 });
    for (let i = 0; i < workload.length; i += 100) published.push(...(await bus.publishMany(workload.slice(i, i + 100))));
    await until(async () => (await eventCount()) === published.length, 60_000, 'the first workload projected');
  });
  afterAll(async () => {
    await projector.kill('SIGTERM');
    await bus.close();
    await db.destroy();
    await topics.cleanup();
    await database.drop();
  });

  it('state --at gives what the live projection held at that moment', async () => {
    const taskId = 'live-t5';
    const before = (await db.withSchema((await activeSchema(db)).schema).from('tasks').where({ task_id: taskId }).first()) as Record<string, unknown>;
    const at = new Date();
    await sleep(5);
    const later = await bus.publish({ type: 'task.failed', source: 'x', payload: { taskId, agentId: 'live-agent-3', error: 'late failure', retriable: false, attempt: 2 } });
    published.push(later);
    await until(async () => (await eventCount()) === published.length, 30_000, 'the late event');

    const then = await agentbus(['state', 'task', taskId, '--at', at.toISOString(), '--json'], env);
    const now = await agentbus(['state', 'task', taskId, '--json'], env);
    expect(then.stderr).toBe('');
    const state = JSON.parse(then.stdout).state as Record<string, unknown>;
    for (const [column, value] of Object.entries(before)) {
      expect([column, state[column]]).toEqual([column, value instanceof Date ? value.getTime() : typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value]);
    }
    expect(JSON.parse(now.stdout).state).toMatchObject({ status: 'failed', last_error: 'late failure', attempts: 2 });
    expect((await agentbus(['state', 'task', 'no-such-task'], env)).code).toBe(3);
    expect((await agentbus(['state', 'spaceship', 'x'], env)).code).toBe(2);
  });

  it('replay rebuilds blue/green while events arrive: live reads never fail, the swap is atomic, and the result equals the live projection', async () => {
    const liveBefore = await activeSchema(db);
    let readerErrors = 0;
    let lastCount = 0;
    let countWentDown = false;
    let reading = true;
    const reader = (async () => {
      while (reading) {
        try {
          const n = Number((await db.raw('select count(*)::int as n from read.tasks')).rows[0].n);
          if (n < lastCount) countWentDown = true;
          lastCount = n;
        } catch {
          readerErrors++;
        }
        await sleep(20);
      }
    })();
    let producing = true;
    const producer = (async () => {
      const more = mixedWorkload({ tasks: 120, run: 'during', seed: 9 });
      for (let i = 0; i < more.length && producing; i += 20) {
        published.push(...(await bus.publishMany(more.slice(i, i + 20))));
        await sleep(40);
      }
    })();

    const result = await agentbus(['replay', '--json'], env);
    producing = false;
    await producer;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ swapped: true, retired: liveBefore.schema, generation: liveBefore.generation + 1 });

    await until(async () => (await eventCount()) === published.length, 60_000, 'the projector to continue on the new generation');
    await sleep(500);
    reading = false;
    await reader;
    const live = await activeSchema(db);
    expect(live.schema).toBe(summary.schema);
    expect(readerErrors).toBe(0);
    expect(countWentDown).toBe(false);
    expect(await readTables(db, live.schema, allProjections)).toEqual(replay(allProjections, published));
    // The rebuild defers secondary indexes to the end of its bulk phase: all must be back.
    await migrateSchema(db, 'index_reference');
    const indexes = async (schema: string) =>
      (await db.raw('select tablename, indexname, replace(indexdef, ?, ?) as def from pg_indexes where schemaname = ? and tablename <> ? order by 1, 2', [`${schema}.`, '', schema, 'consumer_offsets'])).rows;
    expect(await indexes(live.schema)).toEqual(await indexes('index_reference'));
    await db.raw('drop schema index_reference cascade');
  });

  it('replay --projection tasks rebuilds only the tasks table, live, while events arrive, and repairs it', async () => {
    const live = await activeSchema(db);
    const oid = async (table: string) => Number((await db.raw('select ?::regclass::oid as oid', [`${live.schema}.${table}`])).rows[0].oid);
    const [tasksBefore, agentsBefore] = [await oid('tasks'), await oid('agents')];
    // Damage the live table as a bug would: the rebuild must bring back exactly what Kafka says.
    await db.withSchema(live.schema).table('tasks').where('task_id', 'like', 'live-t1%').update({ status: 'corrupted' });
    let readerErrors = 0;
    let reading = true;
    const reader = (async () => {
      while (reading) {
        await db.raw('select count(*) from read.tasks').catch(() => readerErrors++);
        await sleep(20);
      }
    })();
    let producing = true;
    const producer = (async () => {
      const more = mixedWorkload({ tasks: 120, run: 'single', seed: 13 });
      for (let i = 0; i < more.length && producing; i += 20) {
        published.push(...(await bus.publishMany(more.slice(i, i + 20))));
        await sleep(40);
      }
    })();

    const result = await agentbus(['replay', '--projection', 'tasks', '--json'], env);
    producing = false;
    await producer;
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ projection: 'tasks', tables: ['tasks'], schema: live.schema, swapped: true });

    await until(async () => (await eventCount()) === published.length, 60_000, 'the projector to apply the rest');
    await sleep(500);
    reading = false;
    await reader;
    expect(readerErrors).toBe(0);
    expect(await activeSchema(db)).toEqual(live);
    expect(await oid('tasks')).not.toBe(tasksBefore);
    expect(await oid('agents')).toBe(agentsBefore);
    expect(await readTables(db, live.schema, allProjections)).toEqual(replay(allProjections, published));
    const leftovers = await db.raw(`select nspname from pg_namespace where nspname like 'rebuild\\_%'`);
    expect(leftovers.rows).toEqual([]);
  });

  it('replay --projection refuses an unknown name, listing the known ones', async () => {
    const result = await agentbus(['replay', '--projection', 'spaceships'], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/--projection: expected all or one of tasks, agents, .*got "spaceships"/);
  });

  it('replay --to builds the read models as of a time without going live', async () => {
    const live = await activeSchema(db);
    const to = new Date(published[Math.floor(published.length / 2)]!.timestamp + 1);
    const result = await agentbus(['replay', '--to', to.toISOString(), '--json'], env);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.swapped).toBe(false);
    expect((await activeSchema(db)).schema).toBe(live.schema);
    const asOf = published.filter((e) => e.timestamp <= to.getTime());
    const built = await readTables(db, summary.schema, allProjections);
    expect(Object.keys(built.tasks!).sort()).toEqual(Object.keys(replay(allProjections, asOf).tasks!).sort());
  });
});
