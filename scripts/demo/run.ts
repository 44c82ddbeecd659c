// `npm run demo`: starts the infrastructure, sets up topics and schemas, runs a swarm of agents
// over real Kafka (Avro through the registry) with the bus SDK, and prints what happened. In a
// terminal, the services and the operator console keep running afterwards until Ctrl-C.
import { createKafkaEventBus, sourceOf, type KafkaEventBus } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import type { AgentEvent, AgentOnlinePayload, TaskCreatedPayload } from '@agentbus/events';
import { agentbusTopics, createKafka, ensureTopics } from '@agentbus/kafka';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { ensureLiveReadModels } from '@agentbus/read-models';
import { spawnService, type ServiceProcess } from '@agentbus/testing';
import { up } from '../infra/infra';
import { loadInfraSettings } from '../infra/settings';
import { DemoWorker } from './agents';
import { showAuditTrail, startAuditSinkProcess } from './auditTrail';
import { consoleOverviewLine, startConsoleProcess } from './consoleScene';
import { identityScene } from './identityScene';
import { presenceScene, startPresenceMonitor } from './presenceScene';
import { runOrderSagas, startOrderSagaServices } from './orderSagas';

const TASKS = Number(process.env.DEMO_TASKS ?? 12);
const priorities = ['low', 'normal', 'high', 'critical'] as const;
const domains = ['financial', 'legal', 'research', null] as const;
const capabilities = ['summarise', 'translate'] as const;

const t0 = Date.now();
const say = (line: string) => console.log(`${`+${((Date.now() - t0) / 1000).toFixed(2)}s`.padStart(8)}  ${line}`);
const short = (id: string | undefined) => (id ? `…${id.slice(-5)}` : '-');
const taskOf = (e: AgentEvent) => (e.payload as { taskId?: string }).taskId ?? '';
// Every service process the demo started, stopped when it ends, however it ends.
const services: ServiceProcess[] = [];
const started = <T extends ServiceProcess>(service: T): T => {
  services.push(service);
  return service;
};
let interrupted = false;
const isRunning = (s: ServiceProcess) => s.child.exitCode === null && s.child.signalCode === null;
const stopServices = async (): Promise<void> => {
  // Ctrl-C reached the services too (one process group): a second signal would make them exit at
  // once, so they get a while to stop by themselves; only one that did not get it is sent SIGTERM.
  const deadline = Date.now() + (interrupted ? 30_000 : 0);
  while (services.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await Promise.all(services.map((s) => s.kill('SIGTERM')));
};

const main = async (): Promise<void> => {
  console.log('agentbus demo: real Kafka + schema registry + Postgres, no Docker\n');
  await up(loadInfraSettings(), undefined, (r) => say(`infra    ${r.part.padEnd(8)} ready in ${r.seconds?.toFixed(1)}s  ${r.state?.endpoint}  (${r.state?.mode})`));

  const connection = parseConfig(connectionSchema);
  // Failures the demo provokes on purpose are reported in the summary, not as error logs.
  const logger = createLogger({ name: 'demo', level: process.env.LOG_LEVEL ?? 'fatal', pretty: false });
  const admin = createKafka(connection.kafka).admin();
  await admin.connect();
  const created = await ensureTopics(admin, agentbusTopics({ prefix: connection.topicPrefix, ...connection.topics }));
  await admin.disconnect();
  const buses: KafkaEventBus[] = [];
  const bus = (service: string) => {
    const b = createKafkaEventBus({ connection, service, logger, consumer: { maxWaitTimeInMs: 100 } });
    buses.push(b);
    return b;
  };
  const planner = bus('planner');
  const subjects = await planner.registerSchemas();
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-demo' });
  const readModels = await ensureLiveReadModels(db);
  say(`setup    ${created.length ? `created ${created.length} topics` : 'topics already there'}; ${subjects.length} schema versions registered, BACKWARD_TRANSITIVE; read models in ${readModels.schema}`);

  // The projector runs as its own process, as in production.
  const projector = started(spawnService('services/projector/src/main.ts', { PROJECTOR_HTTP_PORT: '0', LOG_LEVEL: 'info' }));
  const projectorStart = Date.now();
  while (!projector.output().includes('projector running')) {
    if (projector.child.exitCode !== null || Date.now() - projectorStart > 60_000) throw new Error(`the projector did not start:\n${projector.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  say(`service  projector running (pid ${projector.child.pid}): every category into Postgres, offsets in the same transaction`);
  const auditSink = started(await startAuditSinkProcess());
  say(`service  audit sink running (pid ${auditSink.child.pid}): every record of every topic into a hash-chained, append-only trail`);
  const presence = await startPresenceMonitor(say);
  started(presence.process);
  const operatorConsole = await startConsoleProcess(say);
  started(operatorConsole.process);
  say(`service  console running (pid ${operatorConsole.process.child.pid}) on ${operatorConsole.url}: agents, sagas, traces, dead letters and the audit trail, live`);

  // The observer sees everything, as the seed's "#" audit subscription.
  const runStart = Date.now();
  const seen: AgentEvent[] = [];
  const observer = await bus('observer').subscribe(
    '#',
    (e) => {
      if (e.timestamp < runStart) return;
      seen.push(e);
      const p = e.payload as Record<string, unknown>;
      const detail =
        e.type === 'task.created' ? `priority=${p.priority} domain=${p.domain}` :
        e.type === 'task.assigned' ? `→ ${p.agentId}` :
        e.type === 'task.completed' ? `tokens=${(p.result as { metrics: { tokensUsed: number } }).metrics.tokensUsed}` :
        e.type === 'task.failed' ? `error="${p.error}"` :
        e.type === 'agent.online' ? `capabilities=${(p.capabilities as string[]).join(',')} capacity=${p.capacity}` : '';
      if (e.type !== 'agent.heartbeat') say(`event    ${e.type.padEnd(16)} ${(taskOf(e) || e.source).padEnd(14)} ${detail.padEnd(34)} cause=${short(e.metadata.causationId)}`);
    },
    { name: 'observer', mode: 'broadcast' },
  );

  // Content routing: only high-or-critical financial work, by enum order.
  const flagged: string[] = [];
  const compliance = await bus('compliance').subscribe({
    topic: 'task.created',
    filter: { 'payload.priority': { $gte: 'high' }, 'payload.domain': 'financial' },
    handler: (e) => void flagged.push(taskOf(e)),
    name: 'high-risk-financial',
    mode: 'broadcast',
  });

  // A dispatcher assigns each task to an online agent with the capability, least busy first.
  const online = new Map<string, AgentOnlinePayload & { assigned: number }>();
  const dispatcherBus = bus('dispatcher');
  const dispatcher = await Promise.all([
    dispatcherBus.subscribe('agent.online', (e) => void online.set((e.payload as AgentOnlinePayload).agentId, { ...(e.payload as AgentOnlinePayload), assigned: 0 }), { name: 'presence', mode: 'broadcast' }),
    dispatcherBus.subscribe('agent.offline', (e) => void online.delete((e.payload as { agentId: string }).agentId), { name: 'departures', mode: 'broadcast' }),
    dispatcherBus.subscribe(
      'task.created',
      async (e) => {
        const task = e.payload as TaskCreatedPayload;
        const capable = [...online.values()].filter((a) => !task.requiredCapability || a.capabilities.includes(task.requiredCapability)).sort((a, b) => a.assigned - b.assigned);
        const agent = capable[0];
        if (!agent) {
          await dispatcherBus.publish({ type: 'task.failed', source: 'dispatcher', payload: { taskId: task.taskId, agentId: null, error: `no online agent can ${task.requiredCapability}`, retriable: true, attempt: 1 } });
          return;
        }
        agent.assigned++;
        await dispatcherBus.publish({
          type: 'task.assigned',
          source: 'dispatcher',
          routingKey: `task.assigned.${agent.agentId}`,
          payload: { taskId: task.taskId, agentId: agent.agentId, assignedBy: 'dispatcher', description: task.description, input: task.input ?? null, requiredCapability: task.requiredCapability ?? null },
        });
      },
      { name: 'assign' },
    ),
  ]);
  await Promise.all([observer, compliance, ...dispatcher].map((s) => s.ready()));

  const workers = [
    new DemoWorker(bus('worker-1'), 'worker-1', ['summarise']),
    new DemoWorker(bus('worker-2'), 'worker-2', ['summarise', 'translate'], 3),
    new DemoWorker(bus('worker-3'), 'worker-3', ['translate']),
  ];
  await Promise.all(workers.map((w) => w.join()));
  await new Promise((r) => setTimeout(r, 500));
  say(`agents   ${workers.map((w) => `${w.agentId}(${w.capabilities.join('+')})`).join(', ')} online; dispatcher, compliance and observer subscribed`);
  // Runs alongside the tasks: one agent process is SIGKILLed, suspected, restarted and recovered.
  const presenceRun = presenceScene(bus('presence-watch'), presence, say);
  presenceRun.catch(() => undefined);

  const run = Date.now().toString(36);
  await planner.publishMany(
    Array.from({ length: TASKS }, (_, i) => ({
      type: 'task.created',
      source: 'did:agent:planner',
      payload: { taskId: `${run}-t${i + 1}`, description: `Task ${i + 1}`, priority: priorities[i % 4]!, domain: domains[(i + 1) % 4] ?? null, requiredCapability: capabilities[i % 2]!, input: JSON.stringify({ pages: i + 1 }) },
    })),
  );
  say(`planner  published ${TASKS} task.created events in one batch`);

  // A record no schema can read: it must reach the dead-letter topic, not crash anyone.
  const producer = createKafka(connection.kafka).producer();
  await producer.connect();
  await producer.send({ topic: `${connection.topicPrefix}.task`, messages: [{ key: `${run}-garbage`, value: Buffer.from('definitely not avro') }] });
  await producer.disconnect();

  const finished = () => seen.filter((e) => e.type === 'task.completed' || (e.type === 'task.failed' && taskOf(e).startsWith(run))).length;
  const deadline = Date.now() + 60_000;
  while (finished() < TASKS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 300));

  const dead = (await planner.deadLetters.list()).filter((d) => d.key === `${run}-garbage`);
  // The read models catch up within a moment of the last event.
  const projected = async () => Number((await db.raw(`select count(*)::int as n from read.tasks where task_id like ? and status in ('completed', 'failed')`, [`${run}-%`])).rows[0].n);
  const projectedBy = Date.now() + 30_000;
  while ((await projected()) < TASKS && Date.now() < projectedBy) await new Promise((r) => setTimeout(r, 100));
  const taskRows = (await db.raw(
    `select status, count(*)::int as n, round(avg(duration_ms))::int as avg_ms, sum(tokens_used)::int as tokens from read.tasks where task_id like ? group by status order by status`,
    [`${run}-%`],
  )).rows as { status: string; n: number; avg_ms: number | null; tokens: number | null }[];
  const agentRows = (await db.raw(
    `select agent_id, state, capacity, health, to_char(last_heartbeat_at, 'HH24:MI:SS') as beat from read.agents where agent_id like 'worker-%' order by agent_id`,
  )).rows as { agent_id: string; state: string; capacity: number; health: string; beat: string }[];
  const storedEvents = Number((await db.raw(`select count(*)::int as n from read.events where correlation_id = ?`, [mine0(seen, run)])).rows[0].n);
  const presenceReport = await presenceRun;
  // After the presence scene, whose failure detection is timed: the saga services add their own load.
  const orderSagas = await startOrderSagaServices(say);
  const orderReport = await runOrderSagas(planner, db, say).finally(() => orderSagas.stop());
  const identityReport = await identityScene(connection, db, logger, run, say);
  await Promise.all(workers.map((w) => w.leave()));
  await new Promise((r) => setTimeout(r, 300));
  await Promise.all(buses.map((b) => b.close({ deadlineMs: 5000 })));
  await db.destroy();

  const mine = seen.filter((e) => taskOf(e).startsWith(run));
  const completed = mine.filter((e) => e.type === 'task.completed');
  const failed = mine.filter((e) => e.type === 'task.failed');
  const byAgent = new Map<string, number>();
  completed.forEach((e) => byAgent.set(e.source, (byAgent.get(e.source) ?? 0) + 1));
  const first = mine.find((e) => e.type === 'task.created')!;
  const chain = mine.filter((e) => e.metadata.correlationId === first.id).map((e) => `${e.type}(${e.source})`);

  console.log('\nWhat happened');
  console.log(`  tasks created / completed / failed : ${TASKS} / ${completed.length} / ${failed.length}`);
  console.log(`  completed per agent                : ${[...byAgent].map(([a, n]) => `${a}=${n}`).join(', ')}`);
  console.log(`  flagged by the content filter      : ${flagged.length} (priority >= high and domain = financial: ${flagged.join(', ') || 'none'})`);
  console.log(`  one workflow, by causation         : ${chain.join(' → ')}`);
  const deadSources = new Set(dead.map(sourceOf));
  console.log(`  dead letters                       : ${deadSources.size} record (${[...new Set(dead.map((d) => `${d.code}: ${d.reason}`))].join('; ')}), dead-lettered by ${dead.length} subscriptions: ${dead.map((d) => d.subscription).sort().join(', ')}`);
  console.log(`  heartbeats seen                    : ${seen.filter((e) => e.type === 'agent.heartbeat').length}`);
  presenceReport.forEach((line) => console.log(line));
  orderReport.lines.forEach((line) => console.log(line));
  identityReport.forEach((line) => console.log(line));
  console.log('\nRead models (SQL on the read schema, as an analyst would)');
  for (const r of taskRows) console.log(`  read.tasks  ${r.status.padEnd(10)} ${String(r.n).padStart(3)} tasks  avg ${r.avg_ms ?? '-'} ms  ${r.tokens ?? 0} tokens`);
  for (const a of agentRows) console.log(`  read.agents ${a.agent_id.padEnd(10)} ${a.state.padEnd(8)} capacity=${a.capacity} health=${a.health} last heartbeat ${a.beat}`);
  console.log(`  read.events ${storedEvents} events stored for the first workflow (correlation ${mine0(seen, run).slice(-8)})`);
  await showAuditTrail(auditSink, connection, mine0(seen, run));
  console.log('\nOperator console (GET /api/overview, logged in as the operator)');
  console.log(`  ${await consoleOverviewLine(operatorConsole)}`);
  console.log('\nThe infrastructure is still running. Stop it with: npm run infra -- down');
  if (completed.length + failed.length < TASKS) throw new Error(`only ${completed.length + failed.length} of ${TASKS} tasks finished within 60 s`);
  if (deadSources.size !== 1) throw new Error('the garbage record did not reach the dead-letter topic');
  if (orderReport.problem) throw new Error(orderReport.problem);

  const login = `${operatorConsole.url} (user ${operatorConsole.user}, password ${operatorConsole.password})`;
  if (!process.stdout.isTTY) {
    console.log(`console: ${login}; stopped with the demo (run npm run demo in a terminal to keep it)`);
    return;
  }
  // The trail records what is done in the console from now on (replays, verifications), as the rest does.
  started(await startAuditSinkProcess());
  console.log(`console: ${login}; Ctrl-C to stop`);
  await untilInterrupted();
  console.log('\nstopping the console and the services');
};

const untilInterrupted = (): Promise<void> =>
  new Promise((resolve) => {
    const keepAlive = setInterval(() => undefined, 60_000);
    process.once('SIGINT', () => {
      interrupted = true;
      clearInterval(keepAlive);
      resolve();
    });
  });

const mine0 = (seen: AgentEvent[], run: string): string => seen.find((e) => e.type === 'task.created' && taskOf(e).startsWith(run))?.id ?? '';

main().then(
  async () => {
    await stopServices();
    process.exit(0);
  },
  async (error: Error) => {
    console.error(`demo failed: ${error.message}`);
    await stopServices();
    process.exit(1);
  },
);
