import { createKafkaEventBus, presenceDirectory, startPresence, type KafkaEventBus } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import type { AgentEvent, AgentRecoveredPayload, AgentSuspectedFailurePayload } from '@agentbus/events';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { findCapableAgents } from '@agentbus/presence';
import { createTestDatabase, createTestTopics, spawnService, type ServiceProcess, type TestDatabase, type TestTopics } from '@agentbus/testing';
import type { Knex } from 'knex';
import { loadPresenceMonitorConfig } from './config';
import { startPresenceMonitor, type RunningPresenceMonitor } from './presenceMonitor';

const logger = createLogger({ name: 'presence-test', level: process.env.LOG_LEVEL ?? 'fatal', pretty: false });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const until = async (probe: () => Promise<boolean> | boolean, timeoutMs: number, what: () => string) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await Promise.resolve(probe()).catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(100);
  }
};

const TIMEOUT_MS = 4000;
// A SIGKILLed monitor keeps its partitions until the broker expires its session.
const SESSION_MS = 6000;
jest.setTimeout(180_000);

interface World {
  topics: TestTopics;
  database: TestDatabase;
  env: NodeJS.ProcessEnv;
  bus: KafkaEventBus;
  db: Knex;
}

const createWorld = async (label: string): Promise<World> => {
  const topics = await createTestTopics(label);
  const database = await createTestDatabase(label, parseConfig(connectionSchema).databaseUrl);
  const env = { AGENTBUS_TOPIC_PREFIX: topics.prefix, DATABASE_URL: database.url };
  const bus = createKafkaEventBus({ connection: parseConfig(connectionSchema, { ...process.env, ...env }), service: 'presence-test', logger, consumer: { maxWaitTimeInMs: 100 } });
  await bus.registerSchemas();
  return { topics, database, env, bus, db: createDatabase({ url: database.url }) };
};

const destroyWorld = async (w: World) => {
  await w.bus.close();
  await w.db.destroy();
  await w.topics.cleanup();
  await w.database.drop();
};

describe('presence monitor against real agent processes (SIGKILL)', () => {
  let world: World;
  const processes: ServiceProcess[] = [];
  const verdicts: AgentEvent[] = [];

  const startMonitor = async (): Promise<ServiceProcess> => {
    const p = spawnService('services/presence-monitor/src/main.ts', {
      ...world.env,
      PRESENCE_MONITOR_HTTP_PORT: '0',
      PRESENCE_MONITOR_ID: `monitor-${processes.length}`,
      PRESENCE_TIMEOUT_MS: String(TIMEOUT_MS),
      PRESENCE_TICK_MS: '100',
      PRESENCE_MONITOR_SESSION_TIMEOUT_MS: String(SESSION_MS),
      LOG_LEVEL: 'info',
    });
    processes.push(p);
    await until(() => p.output().includes('presence monitor running'), 60_000, () => `the monitor to start; output: ${p.output().slice(-1500)}`);
    return p;
  };
  const startAgent = async (agentId: string, load: number): Promise<ServiceProcess> => {
    const p = spawnService('scripts/demo/presenceAgent.ts', {
      ...world.env,
      PRESENCE_AGENT_ID: agentId,
      PRESENCE_AGENT_CAPABILITIES: 'summarise',
      PRESENCE_AGENT_LOAD: String(load),
      PRESENCE_AGENT_HEARTBEAT_MS: '500',
    });
    processes.push(p);
    await until(() => p.output().includes(`presence agent ${agentId} online`), 60_000, () => `agent ${agentId} to start; output: ${p.output().slice(-1500)}`);
    return p;
  };
  const statusOf = async (agentId: string): Promise<string | undefined> => (await world.db.withSchema('presence').from('agents').where({ agent_id: agentId }).first())?.status;
  const suspicionsOf = (agentId: string) => verdicts.filter((e) => e.type === 'agent.suspected_failure' && (e.payload as AgentSuspectedFailurePayload).agentId === agentId);
  const recoveriesOf = (agentId: string) => verdicts.filter((e) => e.type === 'agent.recovered' && (e.payload as AgentRecoveredPayload).agentId === agentId);

  beforeAll(async () => {
    world = await createWorld('presence');
    const sub = await world.bus.subscribe('agent.#', (e) => void (['agent.suspected_failure', 'agent.recovered'].includes(e.type) && verdicts.push(e)), { name: 'verdicts', mode: 'broadcast' });
    await sub.ready();
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill('SIGKILL')));
    await destroyWorld(world);
  });

  it('suspects exactly the killed agent once within timeout + 2 s, sees it recover, and raises no false alarm when the monitor itself restarts', async () => {
    const monitor = await startMonitor();
    const agents = { a: await startAgent('agent-a', 0.1), b: await startAgent('agent-b', 0.35), c: await startAgent('agent-c', 0.2) };
    await until(async () => (await statusOf('agent-a')) === 'online' && (await statusOf('agent-b')) === 'online' && (await statusOf('agent-c')) === 'online', 30_000, () => 'three agents online in the presence table');

    await agents.b.kill('SIGKILL');
    const killedAt = Date.now();
    await until(() => suspicionsOf('agent-b').length > 0, TIMEOUT_MS + 2000, () => `agent.suspected_failure for agent-b within ${TIMEOUT_MS + 2000} ms of the SIGKILL`);
    const [suspicion] = suspicionsOf('agent-b');
    expect(suspicion!.payload).toMatchObject({ agentId: 'agent-b', timeoutMs: TIMEOUT_MS, lastLoad: 0.35, detectedBy: 'monitor-0' });
    expect((suspicion!.payload as AgentSuspectedFailurePayload).lastSeen).toBeLessThanOrEqual(killedAt);
    expect((suspicion!.payload as AgentSuspectedFailurePayload).lastSeen).toBeGreaterThan(killedAt - 2000);
    await sleep(TIMEOUT_MS);
    expect(suspicionsOf('agent-b')).toHaveLength(1);
    expect([...suspicionsOf('agent-a'), ...suspicionsOf('agent-c')]).toEqual([]);
    expect(await statusOf('agent-b')).toBe('suspected');

    agents.b = await startAgent('agent-b', 0.35);
    await until(() => recoveriesOf('agent-b').length > 0, 10_000, () => 'agent.recovered for agent-b');
    expect((recoveriesOf('agent-b')[0]!.payload as AgentRecoveredPayload).outageMs).toBeGreaterThanOrEqual(TIMEOUT_MS);
    await until(async () => (await statusOf('agent-b')) === 'online', 10_000, () => 'agent-b online again in the presence table');

    // The monitor dies without a goodbye; its successor must not suspect the agents it inherits.
    await monitor.kill('SIGKILL');
    const successor = await startMonitor();
    await until(() => /took over agent partitions/.test(successor.output()), SESSION_MS + 30_000, () => `the successor to take over; output: ${successor.output().slice(-1500)}`);
    await sleep(2 * TIMEOUT_MS + 1000);
    expect(verdicts.filter((e) => e.type === 'agent.suspected_failure')).toHaveLength(1);
    expect(recoveriesOf('agent-b')).toHaveLength(1);

    // ...and it does watch them: a real failure after the restart is still caught.
    await agents.c.kill('SIGKILL');
    await until(() => suspicionsOf('agent-c').length > 0, TIMEOUT_MS + 2000, () => 'the restarted monitor to suspect agent-c');
    expect(suspicionsOf('agent-c')[0]!.payload).toMatchObject({ detectedBy: 'monitor-5', lastLoad: 0.2 });
    expect(suspicionsOf('agent-a')).toEqual([]);

    await agents.a.kill('SIGTERM');
    await until(async () => (await statusOf('agent-a')) === 'offline', 10_000, () => 'agent-a offline after a clean SIGTERM');
    await sleep(TIMEOUT_MS + 1000);
    expect(suspicionsOf('agent-a')).toEqual([]);
  });
});

describe('two presence monitors share the agents by partition', () => {
  let world: World;
  const monitors: RunningPresenceMonitor[] = [];
  const verdicts: AgentEvent[] = [];
  let beating = true;
  afterAll(async () => {
    beating = false;
    await Promise.all(monitors.map((m) => m.stop().catch(() => undefined)));
    await destroyWorld(world);
  });

  it('each watches only its partitions; when one leaves, the other takes its agents over without false alarms and still catches a failure', async () => {
    world = await createWorld('scaleout');
    const sub = await world.bus.subscribe('agent.suspected_failure', (e) => void verdicts.push(e), { name: 'verdicts', mode: 'broadcast' });
    await sub.ready();
    const start = (id: string) =>
      startPresenceMonitor(loadPresenceMonitorConfig({ ...process.env, ...world.env, PRESENCE_MONITOR_HTTP_PORT: '0', PRESENCE_MONITOR_ID: id, PRESENCE_TIMEOUT_MS: String(TIMEOUT_MS), PRESENCE_TICK_MS: '100', PRESENCE_MONITOR_SESSION_TIMEOUT_MS: String(SESSION_MS) }), logger);
    monitors.push(await start('left'), await start('right'));
    const [left, right] = monitors as [RunningPresenceMonitor, RunningPresenceMonitor];

    const agents = Array.from({ length: 12 }, (_, i) => `scale-${i}`);
    const silent = new Set<string>();
    await world.bus.publishMany(agents.map((agentId) => ({ type: 'agent.online', source: agentId, payload: { agentId, agentClass: null, capabilities: ['x'], capacity: 1, specializations: [], heartbeatIntervalMs: 500 } })));
    const beats = (async () => {
      while (beating) {
        await world.bus.publishMany(agents.filter((a) => !silent.has(a)).map((agentId) => ({ type: 'agent.heartbeat', source: agentId, payload: { agentId, status: 'healthy', load: 0.1, memoryUsageBytes: 1, inFlight: 0 } }))).catch(() => undefined);
        await sleep(500);
      }
    })();

    await until(() => left.watch.partitions.length + right.watch.partitions.length === 3 && left.watch.partitions.length > 0 && right.watch.partitions.length > 0, 60_000, () => `both monitors to own partitions (left ${left.watch.partitions}, right ${right.watch.partitions})`);
    await until(() => left.watch.agentIds.length + right.watch.agentIds.length === agents.length, 30_000, () => 'every agent watched by one monitor');
    expect([...left.watch.partitions, ...right.watch.partitions].sort()).toEqual([0, 1, 2]);
    expect(left.watch.agentIds.filter((a) => right.watch.agentIds.includes(a))).toEqual([]);

    const inherited = left.watch.agentIds;
    await left.stop();
    monitors.shift();
    await until(() => right.watch.partitions.length === 3 && right.watch.agentIds.length === agents.length, SESSION_MS + 30_000, () => `the remaining monitor to take every partition over (has ${right.watch.partitions})`);
    await sleep(2 * TIMEOUT_MS);
    expect(verdicts).toEqual([]);

    silent.add(inherited[0]!);
    await until(() => verdicts.length > 0, 2 * TIMEOUT_MS + 2000, () => `a suspicion for ${inherited[0]}, an agent taken over from the stopped monitor`);
    expect(verdicts.map((e) => [(e.payload as AgentSuspectedFailurePayload).agentId, (e.payload as AgentSuspectedFailurePayload).detectedBy])).toEqual([[inherited[0], 'right']]);
    beating = false;
    await beats;
  });
});

describe('a presence monitor started on a history another monitor already judged', () => {
  let world: World;
  let monitor: RunningPresenceMonitor | undefined;
  let beating = true;
  afterAll(async () => {
    beating = false;
    await monitor?.stop();
    await destroyWorld(world);
  });

  it('raises nothing about the past, announces only the recovery nobody announced, and suspects the silent agents one timeout after it is live', async () => {
    world = await createWorld('history');
    const verdicts: AgentEvent[] = [];
    const sub = await world.bus.subscribe('agent.#', (e) => void (e.source === 'fresh' && verdicts.push(e)), { name: 'verdicts', mode: 'broadcast' });
    await sub.ready();
    const t0 = Date.now() - 600_000;
    const at = (ms: number) => ({ id: `h-${ms}-${Math.random()}`, timestamp: t0 + ms, metadata: { version: '1' } });
    const online = (agentId: string, ms: number) => ({ ...at(ms), type: 'agent.online', source: agentId, routingKey: 'agent.online', payload: { agentId, agentClass: null, capabilities: ['x'], capacity: 1, specializations: [], heartbeatIntervalMs: 500 } });
    const beat = (agentId: string, ms: number) => ({ ...at(ms), type: 'agent.heartbeat', source: agentId, routingKey: 'agent.heartbeat', payload: { agentId, status: 'healthy', load: 0.1, memoryUsageBytes: 1, inFlight: 0 } });
    const suspected = (agentId: string, ms: number, lastSeen: number) => ({ ...at(ms), type: 'agent.suspected_failure', source: 'old', routingKey: 'agent.suspected_failure', payload: { agentId, lastSeen: t0 + lastSeen, timeoutMs: 4000, lastLoad: 0.1, detectedBy: 'old' } });
    const recovered = (agentId: string, ms: number, outageMs: number) => ({ ...at(ms), type: 'agent.recovered', source: 'old', routingKey: 'agent.recovered', payload: { agentId, outageMs, lastSeen: t0 + ms - 10 } });
    // dead-*: heard ten minutes ago, never since. announced: suspected, back, recovery announced. owed: suspected, back, the old monitor died before announcing it.
    await world.bus.publishMany([
      online('dead-1', 0), beat('dead-1', 500), online('dead-2', 0), beat('dead-2', 600),
      online('announced', 0), beat('announced', 500), suspected('announced', 5000, 500), beat('announced', 9000), recovered('announced', 9010, 8500),
      online('owed', 0), beat('owed', 500), suspected('owed', 5000, 500), beat('owed', 9000),
    ] as never[]);
    const beats = (async () => {
      while (beating) {
        await world.bus.publishMany(['announced', 'owed'].map((agentId) => ({ type: 'agent.heartbeat', source: agentId, payload: { agentId, status: 'healthy', load: 0.1, memoryUsageBytes: 1, inFlight: 0 } }))).catch(() => undefined);
        await sleep(500);
      }
    })();

    const started = Date.now();
    monitor = await startPresenceMonitor(loadPresenceMonitorConfig({ ...process.env, ...world.env, PRESENCE_MONITOR_HTTP_PORT: '0', PRESENCE_MONITOR_ID: 'fresh', PRESENCE_TIMEOUT_MS: String(TIMEOUT_MS), PRESENCE_TICK_MS: '100' }), logger);
    const of = (type: string) => verdicts.filter((e) => e.type === type).map((e) => (e.payload as { agentId: string }).agentId).sort();
    await until(() => of('agent.suspected_failure').length === 2, TIMEOUT_MS + 30_000, () => `both dead agents suspected (so far ${of('agent.suspected_failure')})`);
    await sleep(TIMEOUT_MS);
    beating = false;
    await beats;
    expect(of('agent.suspected_failure')).toEqual(['dead-1', 'dead-2']);
    expect(of('agent.recovered')).toEqual(['owed']);
    for (const e of verdicts.filter((v) => v.type === 'agent.suspected_failure')) expect(e.timestamp - started).toBeGreaterThanOrEqual(TIMEOUT_MS);
    expect(verdicts.find((v) => v.type === 'agent.recovered')!.payload).toMatchObject({ outageMs: 8500, lastSeen: t0 + 9000 });
  });
});

describe('discovery: findCapableAgents and GET /agents', () => {
  let world: World;
  let monitor: RunningPresenceMonitor | undefined;
  beforeAll(async () => {
    world = await createWorld('discovery');
    monitor = await startPresenceMonitor(loadPresenceMonitorConfig({ ...process.env, ...world.env, PRESENCE_MONITOR_HTTP_PORT: '0', PRESENCE_MONITOR_ID: 'discovery' }), logger);
  });
  afterAll(async () => {
    await monitor?.stop();
    await destroyWorld(world);
  });

  const online = (agentId: string, capabilities: string[], capacity = 4) => ({ type: 'agent.online', source: agentId, payload: { agentId, agentClass: 'worker', capabilities, capacity, specializations: [], heartbeatIntervalMs: 30_000 } });
  const beat = (agentId: string, load: number, inFlight: number, status: 'healthy' | 'degraded' | 'unhealthy' = 'healthy') => ({ type: 'agent.heartbeat', source: agentId, payload: { agentId, status, load, memoryUsageBytes: 1, inFlight } });

  it('returns online agents with the capability and spare capacity, least loaded first, backpressured last; over HTTP too', async () => {
    await world.bus.publishMany([
      online('light', ['summarise']),
      beat('light', 0.1, 0),
      online('heavy', ['summarise', 'translate']),
      beat('heavy', 0.6, 2),
      online('full', ['summarise']),
      beat('full', 1, 4),
      online('one-left', ['summarise']),
      beat('one-left', 0.2, 3),
      online('pressed', ['summarise']),
      beat('pressed', 0.05, 0),
      { type: 'agent.backpressure', source: 'pressed', payload: { agentId: 'pressed', subscription: 'task.*', state: 'paused', queueSize: 120, maxInFlight: 10, pausedMs: null } },
      online('translator', ['translate']),
      beat('translator', 0, 0),
      online('gone', ['summarise']),
      { type: 'agent.offline', source: 'gone', payload: { agentId: 'gone', reason: 'scale-in' } },
      online('sick', ['summarise']),
      beat('sick', 0, 0, 'unhealthy'),
    ]);
    await until(async () => Number((await world.db.withSchema('presence').from('agents').count({ n: '*' }))[0]!.n) === 8, 30_000, () => 'eight agents in the presence table');
    await until(async () => (await world.db.withSchema('presence').from('agents').where({ agent_id: 'pressed' }).first())?.backpressure_state === 'paused', 10_000, () => 'the backpressure in the record');

    const ids = async (minCapacity?: number) => (await findCapableAgents(world.db, 'summarise', { minCapacity })).map((a) => a.agentId);
    expect(await ids(2)).toEqual(['light', 'heavy', 'pressed']);
    expect(await ids()).toEqual(['light', 'one-left', 'heavy', 'pressed']);
    const [pressed] = (await findCapableAgents(world.db, 'summarise')).filter((a) => a.agentId === 'pressed');
    expect(pressed).toMatchObject({ backpressured: true, backpressureQueueSize: 120, spareCapacity: 4 });
    expect(pressed!.backpressureSince).toBeInstanceOf(Date);

    const base = `http://127.0.0.1:${monitor!.ops.port}`;
    const response = await fetch(`${base}/agents?capability=summarise&minCapacity=2`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { agents: { agentId: string; spareCapacity: number; load: number }[] };
    expect(body.agents.map((a) => [a.agentId, a.spareCapacity, a.load])).toEqual([['light', 4, 0.1], ['heavy', 2, 0.6], ['pressed', 4, 0.05]]);
    const sdk = await presenceDirectory(base).findCapableAgents('summarise', { minCapacity: 2 });
    expect(sdk.map((a) => a.agentId)).toEqual(['light', 'heavy', 'pressed']);
    await expect(presenceDirectory(base).findCapableAgents('summarise', { minCapacity: -1 })).rejects.toMatchObject({ code: 'INVALID_DISCOVERY_QUERY', context: { field: 'minCapacity' } });
    const bad = await fetch(`${base}/agents?capability=summarise&minCapacity=lots`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'INVALID_DISCOVERY_QUERY', field: 'minCapacity' } });
    expect((await fetch(`${base}/agents`)).status).toBe(400);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/presence_agents\{[^}]*status="online"[^}]*\} 7/);
  });

  it("shows an agent's own backpressure in its presence record when the agent's bus is named after it", async () => {
    const agentBus = createKafkaEventBus({ connection: parseConfig(connectionSchema, { ...process.env, ...world.env }), service: 'slow-agent', logger, backpressureReportAfterMs: 100, consumer: { maxWaitTimeInMs: 100 } });
    const presence = await startPresence(agentBus, { agentId: 'slow-agent', capabilities: ['summarise'], specializations: ['legal'], capacity: () => 4, heartbeatIntervalMs: 1000 });
    try {
      const sub = await agentBus.subscribe('task.created', async () => {
        await sleep(150);
      }, { name: 'tasks', maxInFlight: 2 });
      await sub.ready();
      await world.bus.publishMany(Array.from({ length: 30 }, (_, i) => ({ type: 'task.created', source: 'planner', payload: { taskId: `bp-${i}`, description: 'slow work', priority: 'normal', domain: null } })));
      const record = () => world.db.withSchema('presence').from('agents').where({ agent_id: 'slow-agent' }).first();
      let paused: { backpressure_state: string; backpressure_queue_size: number; backpressure_since: Date; specializations: string[] } | undefined;
      await until(
        async () => {
          paused = await record();
          return paused?.backpressure_state === 'paused';
        },
        30_000,
        () => 'the paused intake in the presence record',
      );
      expect(paused).toMatchObject({ specializations: ['legal'] });
      expect(paused!.backpressure_queue_size).toBeGreaterThanOrEqual(2);
      expect(paused!.backpressure_since).toBeInstanceOf(Date);
      await until(async () => (await record())?.backpressure_state === 'resumed', 30_000, () => 'the resumed intake in the presence record');
    } finally {
      await presence.stop('test done');
      await agentBus.close();
    }
  });

  it('lets the analyst role read the presence table only through read.presence_agents', async () => {
    const asAnalyst = (sql: string) =>
      world.db.transaction(async (trx) => {
        await trx.raw('set local role agentbus_analyst');
        return trx.raw(sql);
      });
    await expect(asAnalyst(`select agent_id, status from read.presence_agents`)).resolves.toBeDefined();
    await expect(asAnalyst(`select * from presence.agents`)).rejects.toThrow(/permission denied/);
    await expect(asAnalyst(`delete from read.presence_agents`)).rejects.toThrow(/permission denied/);
  });
});
