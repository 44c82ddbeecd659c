import { readFileSync } from 'node:fs';
import type { PublishInput } from '@agentbus/bus';
import type { AgentSuspectedFailurePayload } from '@agentbus/events';
import type { Logger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, spawnService, type ServiceProcess } from '@agentbus/testing';
import type { Machine } from './machine';
import type { BenchResults } from './main';
import { percentile, processCpuMs, round } from './stats';
import { benchWorld, config } from './world';
import { chunk } from './workload';

export interface PresencePlan {
  agents: number;
  heartbeatMs: number;
  timeoutMs: number;
  /** Seconds of steady heartbeating over which CPU share and processing rate are measured. */
  seconds: number;
  /** Agents stopped (no more heartbeats, no goodbye) early in the window. */
  stopped: number;
}

export interface PresenceResult {
  plan: PresencePlan;
  offeredPerSec: number;
  processedPerSec: number;
  cpuShare: number;
  delaysMs: number[];
  undetected: number;
  falseSuspicions: number;
  observedLagMs: number[];
  rssMb: number;
}

export const presenceGoals = { detectionP99Ms: 1000, cpuShare: 0.25 } as const;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** User + system CPU seconds the process has used so far. */
const cpuSeconds = (pid: number): number => processCpuMs(pid) / 1000;
const rssMb = (pid: number): number => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

/** `n` distinct agents picked by a seeded generator, so they fall on every heartbeat slot alike and every run picks the same. */
const sample = (ids: readonly string[], n: number): Set<string> => {
  const picked = new Set<string>();
  let x = 11;
  while (picked.size < Math.min(n, ids.length)) {
    x = (x * 1_103_515_245 + 12_345) % 2_147_483_648;
    picked.add(ids[x % ids.length]!);
  }
  return picked;
};

const metric = async (port: number, name: string): Promise<number> => {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `));
  return Number(line?.split(' ').at(-1) ?? NaN);
};

/**
 * presence.*: the presence monitor as its own process, as deployed; `agents` simulated agents
 * announce themselves and heartbeat every `heartbeatMs` through one KafkaEventBus (slots spread
 * evenly, one publishMany every 100 ms). Over a steady window the monitor's CPU share comes from
 * /proc/<pid>/stat and its processing rate from its own presence_events_total. Early in the window
 * `stopped` agents go silent; each one's detection delay beyond the timeout is the monitor's
 * agent.suspected_failure timestamp − the moment its last heartbeat was handed to publishMany − the timeout.
 */
export const presenceBenchmark = async (plan: PresencePlan, log: Logger, say: (line: string) => void): Promise<PresenceResult> => {
  const world = await benchWorld('presence', log);
  const database = await createTestDatabase('bench_presence', config.databaseUrl);
  let monitor: ServiceProcess | undefined;
  const db = createDatabase({ url: database.url, poolMax: 2, applicationName: 'agentbus-bench-presence' });
  try {
    const bus = await world.bus();
    monitor = spawnService('services/presence-monitor/src/main.ts', {
      AGENTBUS_TOPIC_PREFIX: world.prefix,
      DATABASE_URL: database.url,
      PRESENCE_MONITOR_HTTP_PORT: '0',
      PRESENCE_TIMEOUT_MS: String(plan.timeoutMs),
      LOG_LEVEL: 'info',
    });
    for (let i = 0; !monitor.output().includes('presence monitor running'); i++) {
      if (i > 600 || monitor.child.exitCode !== null) throw new Error(`the presence monitor did not start:\n${monitor.output().slice(-1500)}`);
      await sleep(100);
    }
    const port = Number(/"port":(\d+)[^\n]*health and metrics endpoints listening/.exec(monitor.output())?.[1]);
    const pid = monitor.child.pid!;

    const ids = Array.from({ length: plan.agents }, (_, i) => `sim-${String(i).padStart(5, '0')}`);
    const suspicions = new Map<string, { at: number; seenAt: number }>();
    const verdicts = await bus.subscribe(
      'agent.suspected_failure',
      (e) => void suspicions.set((e.payload as AgentSuspectedFailurePayload).agentId, { at: e.timestamp, seenAt: Date.now() }),
      { name: 'bench-verdicts', mode: 'broadcast' },
    );
    await verdicts.ready();

    const announced = Date.now();
    for (const batch of chunk(ids, 500)) {
      await bus.publishMany(batch.map((agentId, i) => ({ type: 'agent.online', source: agentId, payload: { agentId, agentClass: 'sim', capabilities: [i % 2 ? 'summarise' : 'translate'], capacity: 4, specializations: [], heartbeatIntervalMs: plan.heartbeatMs } })));
    }
    for (let i = 0; Number((await db.withSchema('presence').from('agents').count({ n: '*' }))[0]!.n) < plan.agents; i++) {
      if (i > 600) throw new Error('the monitor did not record every agent within 60 s');
      await sleep(100);
    }
    say(`  ${plan.agents.toLocaleString('en-US')} agents online and recorded in ${round((Date.now() - announced) / 1000, 1)} s`);

    const tickMs = 100;
    const slots = Math.max(1, Math.round(plan.heartbeatMs / tickMs));
    const stopped = sample(ids, plan.stopped);
    const lastHanded = new Map<string, number>();
    const heartbeat = (agentId: string, i: number): PublishInput => ({ type: 'agent.heartbeat', source: agentId, payload: { agentId, status: 'healthy', load: (i % 10) / 10, memoryUsageBytes: 50_000_000, inFlight: i % 3 } });
    const sends: Promise<unknown>[] = [];
    let offered = 0;
    let measureFrom: { wall: number; cpu: number; processed: number; offered: number } | undefined;
    const warmupTicks = slots; // one full heartbeat round before the window opens
    const windowTicks = Math.round((plan.seconds * 1000) / tickMs);
    const stopAtTick = warmupTicks + Math.min(windowTicks - 1, slots);
    const started = Date.now();
    for (let tick = 0; tick < warmupTicks + windowTicks; tick++) {
      const wait = started + tick * tickMs - Date.now();
      if (wait > 1) await sleep(wait);
      if (tick === warmupTicks) measureFrom = { wall: Date.now(), cpu: cpuSeconds(pid), processed: await metric(port, 'presence_events_total'), offered };
      const slot = tick % slots;
      const silent = tick >= stopAtTick;
      const batch: PublishInput[] = [];
      const at = Date.now();
      for (let i = slot; i < ids.length; i += slots) {
        const id = ids[i]!;
        if (silent && stopped.has(id)) continue;
        batch.push(heartbeat(id, i));
        lastHanded.set(id, at);
      }
      offered += batch.length;
      // Not awaited one by one: a slow acknowledgement must not lower the offered rate.
      for (const part of chunk(batch, 500)) sends.push(bus.publishMany(part));
      if (sends.length > 50) await Promise.all(sends.splice(0, sends.length));
    }
    await Promise.all(sends);
    const measureTo = { wall: Date.now(), cpu: cpuSeconds(pid), processed: await metric(port, 'presence_events_total'), offered };
    const stoppedAt = started + stopAtTick * tickMs;
    // Everyone stopped must have been suspected by one timeout plus a generous margin.
    while (Date.now() < stoppedAt + plan.heartbeatMs + plan.timeoutMs + 5000 && [...stopped].some((id) => !suspicions.has(id))) await sleep(100);
    const from = measureFrom!;
    const seconds = (measureTo.wall - from.wall) / 1000;
    const delaysMs: number[] = [];
    const observedLagMs: number[] = [];
    for (const id of stopped) {
      const s = suspicions.get(id);
      if (!s) continue;
      delaysMs.push(s.at - lastHanded.get(id)! - plan.timeoutMs);
      observedLagMs.push(s.seenAt - s.at);
    }
    return {
      plan,
      offeredPerSec: (measureTo.offered - from.offered) / seconds,
      processedPerSec: (measureTo.processed - from.processed) / seconds,
      cpuShare: (measureTo.cpu - from.cpu) / seconds,
      delaysMs,
      undetected: [...stopped].filter((id) => !suspicions.has(id)).length,
      falseSuspicions: [...suspicions.keys()].filter((id) => !stopped.has(id)).length,
      observedLagMs,
      rssMb: rssMb(pid),
    };
  } finally {
    await monitor?.kill('SIGTERM');
    await db.destroy();
    await world.cleanup();
    await database.drop().catch((e: Error) => say(`  could not drop ${database.name}: ${e.message}`));
  }
};

type Common = { runAt: string; commit: string | undefined; quick: boolean };

export const presenceEntries = (r: PresenceResult, host: Machine, common: Common): BenchResults => {
  const p99 = percentile(r.delaysMs, 99);
  const volumes = { agents: r.plan.agents, heartbeatMs: r.plan.heartbeatMs, timeoutMs: r.plan.timeoutMs, windowSeconds: r.plan.seconds };
  return {
    'presence.detection-delay': {
      value: round(p99),
      unit: 'ms beyond the timeout (p99)',
      baseline: 'goal p99 <= 1000 ms',
      baselineValue: presenceGoals.detectionP99Ms,
      ratio: round(p99 / presenceGoals.detectionP99Ms, 3),
      machine: host,
      details: {
        ...common,
        goalText: `p99 <= ${presenceGoals.detectionP99Ms} ms`,
        goalMet: p99 <= presenceGoals.detectionP99Ms && r.undetected === 0,
        p50Ms: round(percentile(r.delaysMs, 50)),
        p99Ms: round(p99),
        maxMs: round(Math.max(...r.delaysMs)),
        stoppedAgents: r.plan.stopped,
        undetected: r.undetected,
        falseSuspicions: r.falseSuspicions,
        subscriberSeesItAfterMsP50: round(percentile(r.observedLagMs, 50)),
        note: "agent.suspected_failure's timestamp (the monitor's clock when raised) − when the agent's last heartbeat was handed to publishMany − the timeout; includes publish, the monitor's consume and its 250 ms tick",
        ...volumes,
      },
    },
    'presence.monitor-cpu': {
      value: round(r.cpuShare * 100, 1),
      unit: '% of one core',
      baseline: 'goal < 25% of one core',
      baselineValue: presenceGoals.cpuShare * 100,
      ratio: round(r.cpuShare / presenceGoals.cpuShare, 3),
      machine: host,
      details: {
        ...common,
        goalText: `< ${presenceGoals.cpuShare * 100}% of one core`,
        goalMet: r.cpuShare < presenceGoals.cpuShare,
        rssMb: round(r.rssMb),
        note: 'utime + stime of the monitor process (/proc/<pid>/stat) over the window / wall time; the process decodes every agent-topic record, runs the detector and writes presence rows and offsets to Postgres',
        ...volumes,
      },
    },
    'presence.heartbeat-rate': {
      value: round(r.processedPerSec),
      unit: 'events/s',
      baseline: 'presence.offered-rate',
      baselineValue: round(r.offeredPerSec),
      ratio: round(r.processedPerSec / r.offeredPerSec, 3),
      machine: host,
      details: { ...common, note: "the monitor's presence_events_total over the window against heartbeats handed to publishMany in it: 1.0 means it keeps up", ...volumes },
    },
  };
};
