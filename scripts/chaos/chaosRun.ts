// One chaos run: the four services as supervised processes, a paced workload of task lifecycles
// and order sagas, faults at seeded random times, then catch-up and the checks.
import { randomUUID } from 'node:crypto';
import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { createEvent, deadLetterTopicSuffix, topicName } from '@agentbus/events';
import { agentbusTopics, createKafka, ensureTopics } from '@agentbus/kafka';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase } from '@agentbus/testing';
import { status } from '../infra/infra';
import { restartKafka, restartPostgres } from '../infra/restarts';
import { loadInfraSettings } from '../infra/settings';
import { caughtUp, readLags, type Lags, type ServiceTopics } from './catchUp';
import { checkAuditTrail, checkEventStore, checkPresence, checkReadModels, checkSagas, type DispatchedCommand } from './checks';
import { auditPartitions, endOffsets, liveReadModels, orderJournal, readAllRecords, replayedReadModels, sagaStatuses, storedEventIds, verifyAuditChains } from './facts';
import { seededRandom } from '../seededRandom';
import { chaosServices, planFaults, type ChaosService, type Fault } from './faultPlan';
import type { ChaosReport, OutageReport } from './report';
import { Supervisor } from './supervisor';
import { buildWorkload, publishPaced, publishUntilAccepted, type PublishStats } from './workload';

export interface ChaosOptions {
  events: number;
  minutes: number;
  killsPerService: number;
  brokerRestarts: number;
  postgresRestarts: number;
  seed: number;
  /** Keep the run's topics and database afterwards (they are kept anyway when a check fails). */
  keep: boolean;
  /** How long catch-up may take after the last fault before the run gives up. */
  catchUpMinutes: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const mains: Record<ChaosService, { main: string; readyLine: string }> = {
  projector: { main: 'services/projector/src/main.ts', readyLine: 'projector running' },
  'saga-orchestrator': { main: 'services/saga-orchestrator/src/main.ts', readyLine: 'saga orchestrator running' },
  'presence-monitor': { main: 'services/presence-monitor/src/main.ts', readyLine: 'presence monitor running' },
  'audit-sink': { main: 'services/audit-sink/src/main.ts', readyLine: 'audit sink running' },
};

const declineAbove = 1000;
const silentClass = 'chaos-silent';
const silentTimeoutMs = 15_000;
// Above the longest outage a run causes (a broker restart), so an agent that stayed alive is never due.
const presenceTimeoutMs = 60_000;
const heartbeatEveryMs = 2000;

/** Polls until `probe` holds; the error says what was awaited and what was last seen. */
const until = async (what: string, probe: () => Promise<boolean>, deadlineMs: number, seen: () => string = () => ''): Promise<void> => {
  const deadline = Date.now() + deadlineMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs / 1000} s waiting for ${what}${seen() ? `; ${seen()}` : ''}`);
    await sleep(500);
  }
};

export const runChaos = async (options: ChaosOptions, say: (line: string) => void = () => undefined): Promise<ChaosReport> => {
  const settings = loadInfraSettings();
  const notReady = (await status(settings)).filter((r) => !r.ready).map((r) => r.part);
  if (notReady.length) throw new Error(`the chaos run needs the local infrastructure, and ${notReady.join(', ')} is not ready: npm run infra -- up`);
  const base = parseConfig(connectionSchema);
  const runId = randomUUID().slice(0, 8);
  const prefix = `chaos-${runId}`;
  const database = await createTestDatabase('chaos', base.databaseUrl);
  const env: NodeJS.ProcessEnv = {
    AGENTBUS_TOPIC_PREFIX: prefix,
    DATABASE_URL: database.url,
    LOG_LEVEL: 'info',
    PROJECTOR_HTTP_PORT: '0',
    SAGA_ORCHESTRATOR_HTTP_PORT: '0',
    PRESENCE_MONITOR_HTTP_PORT: '0',
    AUDIT_SINK_HTTP_PORT: '0',
    // A SIGKILLed member holds its partitions until its session expires: the broker's minimum.
    PROJECTOR_SESSION_TIMEOUT_MS: '6000',
    SAGA_ORCHESTRATOR_SESSION_TIMEOUT_MS: '6000',
    PRESENCE_MONITOR_SESSION_TIMEOUT_MS: '6000',
    AUDIT_SINK_SESSION_TIMEOUT_MS: '6000',
    PRESENCE_TIMEOUT_MS: String(presenceTimeoutMs),
    PRESENCE_CLASS_TIMEOUTS: `${silentClass}=${silentTimeoutMs}`,
    PRESENCE_MONITOR_ID: `presence-monitor-${prefix}`,
    SAGA_AGENT_DIRECTORY: 'presence',
  };
  const connection = parseConfig(connectionSchema, { ...process.env, ...env });
  const logger = createLogger({ name: 'chaos', level: process.env.CHAOS_LOG_LEVEL ?? 'fatal', pretty: false });
  const kafka = createKafka(connection.kafka);
  const specs = agentbusTopics({ prefix, ...connection.topics });
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, specs);
  await admin.disconnect();
  const deadLetterTopic = topicName(prefix, deadLetterTopicSuffix);
  const allTopics = specs.map((s) => s.topic);
  const topics: ServiceTopics = {
    all: allTopics,
    projector: allTopics.filter((t) => t !== deadLetterTopic),
    sagaOrchestrator: (['saga', 'task', 'decision'] as const).map((c) => topicName(prefix, c)),
    presenceMonitor: [topicName(prefix, 'agent')],
  };
  say(`run ${prefix}: ${allTopics.length} topics, database ${database.name}, seed ${options.seed}`);

  const bus: KafkaEventBus = createKafkaEventBus({ connection, service: 'chaos-workload', logger });
  await bus.registerSchemas();
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-chaos', poolMax: 4 });
  const t0 = Date.now();
  const clock = () => Date.now() - t0;
  const supervisors = new Map(chaosServices.map((service) => [service, new Supervisor({ name: service, env, ...mains[service] }, clock)]));
  const orderAgents = new Supervisor({ name: 'order agents', main: 'scripts/demo/orderAgents.ts', readyLine: 'order agents ready', env: { ...env, ORDER_AGENTS_SUFFIX: runId, ORDER_AGENTS_DECLINE_ABOVE: String(declineAbove), LOG_LEVEL: 'warn' } }, clock);
  const everyone = [...supervisors.values(), orderAgents];
  let heartbeats: Promise<void> | undefined;
  let beating = false;
  let cleanRun = false;
  try {
    for (const s of supervisors.values()) s.start();
    await until('the four services to start', async () => [...supervisors.values()].every((s) => s.isReady()), 180_000, () =>
      [...supervisors.values()].filter((s) => !s.isReady()).map((s) => `${s.name}: ${s.output().slice(-600)}`).join('\n'),
    );
    orderAgents.start();
    const orderAgentIds = ['orders', 'stock', 'pay'].map((r) => `${r}-${runId}`);
    await until('the order agents to be online in presence.agents', async () => Number((await db.raw(`select count(*)::int as n from presence.agents where agent_id = any(?) and status = 'online'`, [orderAgentIds])).rows[0].n) === 3, 180_000, () => orderAgents.output().slice(-600));
    const silentAgent = `silent-${runId}`;
    await bus.publishMany([
      { type: 'agent.online', source: silentAgent, payload: { agentId: silentAgent, agentClass: silentClass, capabilities: ['nothing'], capacity: 1, specializations: [], heartbeatIntervalMs: 1000 } },
      { type: 'agent.heartbeat', source: silentAgent, payload: { agentId: silentAgent, status: 'healthy', load: 0, memoryUsageBytes: 1, inFlight: 0 } },
    ]);
    say(`services up in ${(clock() / 1000).toFixed(1)} s; order agents online; ${silentAgent} announced and silent from now on`);

    const workload = buildWorkload({ events: options.events, run: `c${runId}`, seed: options.seed, declineAbove });
    const windowMs = options.minutes * 60_000;
    const plan = planFaults({ killsPerService: options.killsPerService, brokerRestarts: options.brokerRestarts, postgresRestarts: options.postgresRestarts }, windowMs, seededRandom(options.seed));
    const started = clock();
    let lastFaultAt = started;
    const outages: OutageReport[] = [];
    const heartbeat = async () => {
      while (beating) {
        const beats = workload.agents.map((agentId) => createEvent({ type: 'agent.heartbeat', source: agentId, payload: { agentId, status: 'healthy', load: 0.3, memoryUsageBytes: 1_000_000, inFlight: 1 } }));
        // A live agent keeps beating through an outage; each beat is sent until Kafka takes it.
        await publishUntilAccepted(bus, beats, 600_000, () => undefined).catch(() => undefined);
        await sleep(heartbeatEveryMs);
      }
    };
    const inject = async (fault: Fault): Promise<void> => {
      if (fault.kind === 'kill') {
        await supervisors.get(fault.service)!.kill();
        lastFaultAt = Math.max(lastFaultAt, clock());
        return;
      }
      const at = clock();
      say(`fault ${fault.kind === 'broker' ? 'SIGKILL the Kafka broker' : 'restart Postgres'} at +${(at / 1000).toFixed(1)} s`);
      if (fault.kind === 'broker') await restartKafka(settings, { kill: true });
      else await restartPostgres(settings);
      outages.push({ kind: fault.kind, atMs: at, downMs: clock() - at });
      lastFaultAt = Math.max(lastFaultAt, clock());
      say(`  ${fault.kind} back after ${((clock() - at) / 1000).toFixed(1)} s`);
    };
    const faults = (async () => {
      let outage = Promise.resolve();
      for (const fault of plan) {
        await sleep(started + fault.atMs - clock());
        // One outage at a time; kills go on meanwhile.
        if (fault.kind === 'kill') await inject(fault);
        else {
          outage = outage.then(() => inject(fault));
          // Awaited below; marked handled now so a failed restart ends the run cleanly.
          outage.catch(() => undefined);
        }
      }
      await outage;
    })();
    let lastSaid = 0;
    const publishing = publishPaced(bus, workload.events, {
      durationMs: windowMs,
      batchSize: 50,
      onBatch: (stats: PublishStats) => {
        if (stats.batches === 1 && !beating) {
          beating = true;
          heartbeats = heartbeat();
        }
        if (clock() - lastSaid > 30_000) {
          lastSaid = clock();
          const kills = [...supervisors.values()].map((s) => s.kills).reduce((a, b) => a + b, 0);
          say(`+${(clock() / 1000).toFixed(0)} s: ${stats.published}/${workload.events.length} events published, ${kills} kills, ${outages.length} outages`);
        }
      },
    });
    const [stats] = await Promise.all([publishing, faults]);
    const doneAt = clock();
    say(`workload published at +${(doneAt / 1000).toFixed(1)} s; last fault at +${(lastFaultAt / 1000).toFixed(1)} s; waiting for catch-up`);

    const sagaIds = workload.sagas.map((s) => s.sagaId);
    const sagasEnded = async () =>
      Number((await db.raw(`select count(*)::int as n from saga_orchestrator.sagas where saga_id = any(?) and status in ('completed', 'failed', 'failed_compensation')`, [sagaIds])).rows[0].n) === sagaIds.length;
    let lags: Lags | undefined;
    const allCaughtUp = async () => {
      lags = await readLags(db, kafka, await endOffsets(kafka, allTopics), topics, prefix);
      return caughtUp(lags) && (await sagasEnded());
    };
    const catchUpMs = options.catchUpMinutes * 60_000;
    await until('every service to reach the end offsets and every saga to end', allCaughtUp, catchUpMs, () => `lags ${JSON.stringify(lags)}`);
    const caughtUpAt = clock();
    say(`caught up at +${(caughtUpAt / 1000).toFixed(1)} s, ${((caughtUpAt - lastFaultAt) / 1000).toFixed(1)} s after the last fault`);

    // Quiesce: live agents leave cleanly, the silent one must have been suspected, nothing moves.
    beating = false;
    await heartbeats;
    await orderAgents.stop();
    await publishUntilAccepted(bus, workload.agents.map((agentId) => createEvent({ type: 'agent.offline', source: agentId, payload: { agentId, reason: 'chaos run finished' } })), 120_000, () => undefined);
    await until(`${silentAgent} to be suspected`, async () => (await db.raw(`select 1 from presence.agents where agent_id = ? and suspected_at is not null`, [silentAgent])).rows.length === 1, catchUpMs);
    let previous = '';
    await until('the topics to stop moving with every service at their ends', async () => {
      const ranges = await endOffsets(kafka, allTopics);
      const now = JSON.stringify(ranges, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
      const still = now === previous;
      previous = now;
      lags = await readLags(db, kafka, ranges, topics, prefix);
      return still && caughtUp(lags);
    }, catchUpMs, () => `lags ${JSON.stringify(lags)}`);
    for (const s of supervisors.values()) await s.stop();

    say('checking');
    const ranges = await endOffsets(kafka, allTopics);
    const codec = new AvroEventCodec({ registry: createRegistryClient(connection.registry), catalog: loadSchemaCatalog(), topicPrefix: prefix });
    const records = await readAllRecords(kafka, codec, ranges, (t) => t !== deadLetterTopic);
    const events = records.filter((r) => r.topic !== deadLetterTopic && r.event);
    const dispatched: DispatchedCommand[] = events.filter((r) => r.event!.type === 'saga.step.dispatched').map((r) => r.event!.payload as DispatchedCommand);
    const { status: sagaStatus, readStatus } = await sagaStatuses(db);
    const checks = [
      checkEventStore(events.map((r) => ({ topic: r.topic, partition: r.partition, offset: r.offset, eventId: r.event!.id })), await storedEventIds(db)),
      checkReadModels(await liveReadModels(db), await replayedReadModels({ db, kafka, codec, topics: topics.projector, deadLetterTopic, databaseUrl: connection.databaseUrl, logger })),
      checkSagas({ requested: workload.sagas, status: sagaStatus, readStatus, dispatched, journal: await orderJournal(db) }),
      checkAuditTrail(ranges.filter((r) => r.high > 0n), await auditPartitions(db), await verifyAuditChains(env)),
      checkPresence({
        alive: [...workload.agents, ...orderAgentIds],
        silent: [silentAgent],
        suspected: events.filter((r) => r.event!.type === 'agent.suspected_failure').map((r) => (r.event!.payload as { agentId: string }).agentId),
      }),
    ];
    const undecodable = records.filter((r) => r.decodeError);
    if (undecodable.length) say(`note: ${undecodable.length} records could not be decoded, e.g. ${undecodable[0]!.decodeError}`);
    const report: ChaosReport = {
      seed: options.seed,
      reproduce: `npm run chaos -- --events ${options.events} --minutes ${options.minutes} --kills ${options.killsPerService} --broker-restarts ${options.brokerRestarts} --postgres-restarts ${options.postgresRestarts} --catch-up-minutes ${options.catchUpMinutes} --seed ${options.seed}`,
      profile: { events: options.events, minutes: options.minutes, killsPerService: options.killsPerService, brokerRestarts: options.brokerRestarts, postgresRestarts: options.postgresRestarts },
      prefix,
      database: database.name,
      workload: { published: stats.published, batches: stats.batches, retried: stats.retried, sagas: workload.sagas.length, agentsAlive: workload.agents.length + orderAgentIds.length, agentsSilent: 1, doneAtMs: doneAt },
      services: [...supervisors.values()].map((s) => ({ service: s.name as ChaosService, kills: s.kills, starts: s.starts, selfExits: s.selfExits })),
      outages,
      lastFaultAtMs: lastFaultAt,
      caughtUpAtMs: caughtUpAt,
      totalMs: clock(),
      checks,
    };
    cleanRun = checks.every((c) => c.ok);
    if (orderAgents.selfExits.length) say(`note: the order agents exited by themselves ${orderAgents.selfExits.length} times and were restarted`);
    return report;
  } finally {
    beating = false;
    await Promise.all(everyone.map((s) => s.stop().catch(() => undefined)));
    await bus.close().catch(() => undefined);
    await db.destroy().catch(() => undefined);
    if (cleanRun && !options.keep) {
      await database.drop().catch(() => undefined);
      const a = kafka.admin();
      await a.connect().then(() => a.deleteTopics({ topics: allTopics })).catch(() => undefined);
      await a.disconnect().catch(() => undefined);
    } else {
      say(`kept for inspection: topics ${prefix}.*, database ${database.name}`);
    }
  }
};
