import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { versions, repoRoot } from '../infra/settings';
import type { Logger } from '@agentbus/logger';
import { consumeRaw, consumeThroughBus, type ConsumeRun, type WireSizes } from './consume';
import { latencyBenchmark } from './latency';
import { describeBreakdown } from './metricsScrape';
import { machine, type Machine } from './machine';
import { kafkaToolsAvailable, runProducerPerf, type ProducerPerfRun } from './producerPerf';
import { preEncode, publishRaw, publishThroughBus, rawProducer, type PublishRun } from './publish';
import { presenceBenchmark, presenceEntries, type PresencePlan } from './presence';
import { replayBenchmark } from './replay';
import { latencyEntries, replayEntries } from './replayEntries';
import { auditBenchmark, auditEntries } from './audit';
import { sagaEntries, sagasBenchmark } from './sagas';
import { publishSigningComparison, replayVerificationComparison } from './identity';
import { consoleBenchmark, consoleEntries, type ConsolePlan } from './console';
import { median, percentile, round } from './stats';
import { benchLogger, benchWorld, closeLogs, config, ensureInfra } from './world';
import { chunk, taskCreatedInputs } from './workload';

export interface BenchEntry {
  value: number;
  unit: string;
  baseline: string;
  baselineValue: number;
  ratio: number;
  machine: Machine;
  details?: Record<string, unknown>;
}

export type BenchResults = Record<string, BenchEntry>;

interface Plan {
  reps: number;
  batchSize: number;
  publishEvents: number;
  publishWarmup: number;
  perfRecords: number;
  perfWarmup: number;
  consumeEvents: number;
  consumeWarmup: number;
  /** replay.*: events pre-filled and rebuilt. */
  replayEvents: number;
  /** projector.latency: offered events/s and seconds. */
  latencyRate: number;
  latencySeconds: number;
  presence: PresencePlan;
  /** sagas.*: three-step sagas run. */
  sagas: number;
  /** replay.verified: signed events pre-filled and rebuilt with verification off and required. */
  verifyEvents: number;
  /** console.*: the seeded read models (issue 16's scale) and requests per page. */
  console: ConsolePlan;
}

const plans: Record<'full' | 'quick', Plan> = {
  full: { reps: 5, batchSize: 500, publishEvents: 150_000, publishWarmup: 30_000, perfRecords: 300_000, perfWarmup: 50_000, consumeEvents: 300_000, consumeWarmup: 50_000, replayEvents: 1_000_000, latencyRate: 1000, latencySeconds: 20, presence: { agents: 10_000, heartbeatMs: 5000, timeoutMs: 30_000, seconds: 60, stopped: 200 }, sagas: 5000, verifyEvents: 200_000, console: { events: 1_000_000, agents: 10_000, sagas: 100_000, deadLetters: 1000, requests: 200, warmup: 20, secondsPerPage: 150, timeoutMs: 20_000 } },
  quick: { reps: 2, batchSize: 500, publishEvents: 20_000, publishWarmup: 5_000, perfRecords: 50_000, perfWarmup: 10_000, consumeEvents: 30_000, consumeWarmup: 5_000, replayEvents: 50_000, latencyRate: 1000, latencySeconds: 5, presence: { agents: 1000, heartbeatMs: 5000, timeoutMs: 10_000, seconds: 15, stopped: 50 }, sagas: 500, verifyEvents: 20_000, console: { events: 100_000, agents: 1000, sagas: 10_000, deadLetters: 100, requests: 50, warmup: 10, secondsPerPage: 40, timeoutMs: 5000 } },
};

const goals = { 'publish.bus': 0.8, 'consume.bus': 0.7 } as const;

const benchGroups = ['throughput', 'replay', 'latency', 'presence', 'audit', 'sagas', 'identity', 'console'] as const;
type BenchGroup = (typeof benchGroups)[number];

const usage = `usage: npx tsx bench/run.ts [--quick] [--reps N] [--up] [--out FILE] [--only GROUPS]
  --quick   small volumes, 2 repetitions: checks the harness in ~1 minute (figures not comparable)
  --reps N  measured repetitions per benchmark (default 5); the median is reported
  --up      start Kafka and the registry if they are not running (as npm run infra -- up)
  --out     where to write the JSON (default bench/results/latest.json); entries of other benchmarks in it are kept
  --only    comma-separated groups to run: throughput (publish.*, consume.*), replay (replay.*), latency (projector.latency), presence (presence.*), audit (audit.*), sagas (sagas.*), identity (publish.signed, replay.verified), console (console.*)`;

const parseArgs = (argv: string[]): { plan: Plan; start: boolean; out: string; quick: boolean; groups: Set<BenchGroup> } => {
  let quick = false;
  let groups = new Set<BenchGroup>(benchGroups);
  let start = false;
  let reps: number | undefined;
  let out = join(repoRoot, 'bench', 'results', 'latest.json');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') quick = true;
    else if (arg === '--up') start = true;
    else if (arg === '--reps') reps = Number(argv[++i]);
    else if (arg === '--out') out = argv[++i] ?? out;
    else if (arg === '--only') {
      const names = (argv[++i] ?? '').split(',').filter(Boolean);
      const unknown = names.filter((n) => !(benchGroups as readonly string[]).includes(n));
      if (names.length === 0 || unknown.length > 0) throw new Error(`--only takes ${benchGroups.join(', ')} (comma-separated)\n${usage}`);
      groups = new Set(names as BenchGroup[]);
    }
    else if (arg === '--help' || arg === '-h') {
      console.log(usage);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}\n${usage}`);
  }
  if (reps !== undefined && (!Number.isInteger(reps) || reps < 1)) throw new Error(`--reps needs a positive whole number\n${usage}`);
  const plan = { ...plans[quick ? 'quick' : 'full'], ...(reps ? { reps } : {}) };
  return { plan, start, out, quick, groups };
};

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

const commit = (): string | undefined => {
  try {
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain'], { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().length > 0;
    return dirty ? `${sha}+uncommitted` : sha;
  } catch {
    return undefined;
  }
};

// Milliseconds below 100 keep a decimal; throughputs are whole numbers.
const fmt = (n: number): string => (!Number.isFinite(n) ? String(n) : Math.abs(n) < 100 && !Number.isInteger(n) ? n.toFixed(1) : Math.round(n).toLocaleString('en-US'));

const publishRepDetail = (r: PublishRun) => ({ eventsPerSec: round(r.eventsPerSec), seconds: round(r.seconds, 2), batchP50Ms: round(r.batchP50Ms, 1), batchP99Ms: round(r.batchP99Ms, 1), cpuUsPerEvent: round(r.cpuUsPerEvent, 1) });
const consumeRepDetail = (r: ConsumeRun) => ({ eventsPerSec: round(r.eventsPerSec), seconds: round(r.seconds, 2), startupSeconds: round(r.startupSeconds, 2), cpuUsPerEvent: round(r.cpuUsPerEvent, 1) });
const medianCpu = (runs: readonly { cpuUsPerEvent: number }[]) => round(median(runs.map((r) => r.cpuUsPerEvent)), 1);

/** publish and consume throughput: the original six benchmarks. */
const throughputBenchmarks = async (plan: Plan, host: Machine, log: Logger, runAt: string, quick: boolean): Promise<BenchResults> => {
  const runTag = Date.now().toString(36);
  const inputs = taskCreatedInputs(plan.publishEvents, runTag);
  const warmupInputs = inputs.slice(0, plan.publishWarmup);

  // 1. publish.bus vs publish.raw-kafkajs: the same events, batch sizes, keys, acks and producer settings.
  say(`publish: ${plan.publishEvents.toLocaleString('en-US')} task.created per repetition in batches of ${plan.batchSize}, acks=all, idempotent producer`);
  const busWorld = await benchWorld('pub-bus', log);
  const rawWorld = await benchWorld('pub-raw', log);
  const busRuns: PublishRun[] = [];
  const rawRuns: PublishRun[] = [];
  const rawHeaderRuns: PublishRun[] = [];
  let encodedValueBytes = 0;
  let keyBytes = 0;
  try {
    const bus = await busWorld.bus();
    const encoded = await preEncode(rawWorld, inputs);
    encodedValueBytes = encoded.avgValueBytes;
    keyBytes = encoded.avgKeyBytes;
    say(`  average encoded event: ${round(encodedValueBytes, 1)} bytes (Avro + 5-byte Confluent header), key ${round(keyBytes, 1)} bytes`);
    const raw = await rawProducer();
    try {
      await publishThroughBus(bus, warmupInputs, plan.batchSize);
      await publishRaw(raw.producer, rawWorld.taskTopic, encoded.messages.slice(0, plan.publishWarmup), plan.batchSize);
      await publishRaw(raw.producer, rawWorld.taskTopic, encoded.withHeaders.slice(0, plan.publishWarmup), plan.batchSize);
      // Alternate, so drift on the machine or broker weighs on both alike.
      for (let rep = 1; rep <= plan.reps; rep++) {
        const b = await publishThroughBus(bus, inputs, plan.batchSize);
        const r = await publishRaw(raw.producer, rawWorld.taskTopic, encoded.messages, plan.batchSize);
        const h = await publishRaw(raw.producer, rawWorld.taskTopic, encoded.withHeaders, plan.batchSize);
        busRuns.push(b);
        rawRuns.push(r);
        rawHeaderRuns.push(h);
        say(`  rep ${rep}: bus ${fmt(b.eventsPerSec)} events/s (${round(b.cpuUsPerEvent, 1)} µs CPU/event), raw kafkajs ${fmt(r.eventsPerSec)} events/s (${round(r.cpuUsPerEvent, 1)} µs), raw kafkajs + bus headers ${fmt(h.eventsPerSec)} events/s (${round(h.cpuUsPerEvent, 1)} µs)`);
      }
    } finally {
      await raw.close();
    }
  } finally {
    await busWorld.cleanup();
    await rawWorld.cleanup();
  }

  // 2. Kafka's own producer benchmark with the same record size: what the broker takes on this machine.
  const recordSize = Math.round(encodedValueBytes);
  say(`\nkafka-producer-perf: ${plan.perfRecords.toLocaleString('en-US')} records of ${recordSize} bytes per repetition (+${plan.perfWarmup.toLocaleString('en-US')} warm-up), acks=all, idempotence on`);
  const perfWorld = await benchWorld('perf', log);
  const perfRuns: ProducerPerfRun[] = [];
  try {
    for (let rep = 1; rep <= plan.reps; rep++) {
      const run = await runProducerPerf({ topic: perfWorld.taskTopic, records: plan.perfRecords, warmupRecords: plan.perfWarmup, recordSize, bootstrap: config.kafka.brokers.join(',') });
      perfRuns.push(run);
      say(`  rep ${rep}: ${fmt(run.recordsPerSec)} records/s (p99 latency ${run.p99Ms} ms)`);
    }
  } finally {
    await perfWorld.cleanup();
  }

  // 3. consume.bus vs consume.raw-kafkajs over one pre-filled topic, a fresh consumer group each time.
  say(`\nconsume: ${plan.consumeEvents.toLocaleString('en-US')} task.created pre-filled through the bus into <prefix>.task (3 partitions)`);
  const consumeWorld = await benchWorld('consume', log);
  const busConsumes: ConsumeRun[] = [];
  const rawConsumes: ConsumeRun[] = [];
  let wire: WireSizes | undefined;
  try {
    const bus = await consumeWorld.bus();
    const prefillStart = Date.now();
    for (let published = 0; published < plan.consumeEvents; ) {
      for (const batch of chunk(inputs.slice(0, Math.min(inputs.length, plan.consumeEvents - published)), plan.batchSize)) {
        await bus.publishMany(batch);
        published += batch.length;
      }
    }
    say(`  pre-filled in ${round((Date.now() - prefillStart) / 1000, 1)} s`);
    const limitMs = 180_000;
    await consumeRaw(consumeWorld.categoryTopics, consumeWorld.taskTopic, plan.consumeWarmup, limitMs);
    await consumeThroughBus(bus, plan.consumeWarmup, limitMs);
    for (let rep = 1; rep <= plan.reps; rep++) {
      const r = await consumeRaw(consumeWorld.categoryTopics, consumeWorld.taskTopic, plan.consumeEvents, limitMs);
      wire ??= r.wire;
      const b = await consumeThroughBus(bus, plan.consumeEvents, limitMs);
      rawConsumes.push(r);
      busConsumes.push(b);
      say(`  rep ${rep}: bus ${fmt(b.eventsPerSec)} events/s (${round(b.cpuUsPerEvent, 1)} µs CPU/event), raw kafkajs ${fmt(r.eventsPerSec)} events/s (${round(r.cpuUsPerEvent, 1)} µs)`);
    }
  } finally {
    await consumeWorld.cleanup();
  }

  // Results.
  const pubBus = median(busRuns.map((r) => r.eventsPerSec));
  const pubRaw = median(rawRuns.map((r) => r.eventsPerSec));
  const pubRawHeaders = median(rawHeaderRuns.map((r) => r.eventsPerSec));
  const perf = median(perfRuns.map((r) => r.recordsPerSec));
  const conBus = median(busConsumes.map((r) => r.eventsPerSec));
  const conRaw = median(rawConsumes.map((r) => r.eventsPerSec));
  const common = { runAt, commit: commit(), quick, repetitions: plan.reps };
  const wireDetail = wire ? { avgKeyBytes: round(wire.avgKeyBytes, 1), avgValueBytes: round(wire.avgValueBytes, 1), avgHeaderBytes: round(wire.avgHeaderBytes, 1) } : undefined;
  const entry = (value: number, unit: string, baseline: string, baselineValue: number, details: Record<string, unknown>): BenchEntry => ({
    value: round(value),
    unit,
    baseline,
    baselineValue: round(baselineValue),
    ratio: round(value / baselineValue, 3),
    machine: host,
    details: { ...common, ...details },
  });
  const results: BenchResults = {
    'publish.bus': entry(pubBus, 'events/s', 'publish.raw-kafkajs', pubRaw, {
      cpuUsPerEvent: medianCpu(busRuns),
      goal: goals['publish.bus'],
      goalMet: pubBus / pubRaw >= goals['publish.bus'],
      ratioToBrokerLimit: round(pubBus / perf, 3),
      ratioToRawWithHeaders: round(pubBus / pubRawHeaders, 3),
      eventsPerRepetition: plan.publishEvents,
      warmupEvents: plan.publishWarmup,
      batchSize: plan.batchSize,
      avgEncodedBytes: round(encodedValueBytes, 1),
      avgKeyBytes: round(keyBytes, 1),
      busRecordOnTheWire: wireDetail,
      runs: busRuns.map(publishRepDetail),
    }),
    'publish.raw-kafkajs': entry(pubRaw, 'events/s', 'publish.kafka-producer-perf', perf, {
      cpuUsPerEvent: medianCpu(rawRuns),
      note: 'kafkajs producer.send of the codec-encoded bytes (no agentbus headers), same keys, batches, acks=-1 and idempotent producer as the bus',
      eventsPerRepetition: plan.publishEvents,
      batchSize: plan.batchSize,
      avgEncodedBytes: round(encodedValueBytes, 1),
      runs: rawRuns.map(publishRepDetail),
    }),
    'publish.raw-kafkajs-headers': entry(pubRawHeaders, 'events/s', 'publish.raw-kafkajs', pubRaw, {
      cpuUsPerEvent: medianCpu(rawHeaderRuns),
      note: 'as publish.raw-kafkajs, plus the five headers the bus puts on every record: isolates what kafkajs spends encoding them',
      eventsPerRepetition: plan.publishEvents,
      batchSize: plan.batchSize,
      runs: rawHeaderRuns.map(publishRepDetail),
    }),
    'publish.kafka-producer-perf': entry(perf, 'records/s', 'publish.kafka-producer-perf', perf, {
      note: "Kafka's org.apache.kafka.tools.ProducerPerformance (Java client defaults, no keys or headers): the reference for this broker on this machine",
      recordSize,
      records: plan.perfRecords,
      warmupRecords: plan.perfWarmup,
      busRatio: round(pubBus / perf, 3),
      runs: perfRuns.map((r) => ({ recordsPerSec: round(r.recordsPerSec), mbPerSec: r.mbPerSec, avgLatencyMs: r.avgLatencyMs, p50Ms: r.p50Ms, p99Ms: r.p99Ms })),
    }),
    'consume.bus': entry(conBus, 'events/s', 'consume.raw-kafkajs', conRaw, {
      cpuUsPerEvent: medianCpu(busConsumes),
      goal: goals['consume.bus'],
      goalMet: conBus / conRaw >= goals['consume.bus'],
      events: plan.consumeEvents,
      warmupEvents: plan.consumeWarmup,
      subscription: "'#', competing, fromBeginning, no-op handler, bus default consumer settings",
      recordOnTheWire: wireDetail,
      runs: busConsumes.map(consumeRepDetail),
    }),
    'consume.raw-kafkajs': entry(conRaw, 'events/s', 'consume.raw-kafkajs', conRaw, {
      cpuUsPerEvent: medianCpu(rawConsumes),
      note: 'kafkajs eachBatch over the same topics, fresh group, no decode; the reference for consume.bus',
      events: plan.consumeEvents,
      runs: rawConsumes.map(consumeRepDetail),
    }),
  };
  say(`\nbus publish vs broker limit (kafka-producer-perf): ${(pubBus / perf).toFixed(2)}; vs raw kafkajs with the same headers: ${(pubBus / pubRawHeaders).toFixed(2)}`);
  say(`average encoded event ${round(encodedValueBytes, 1)} bytes; a bus record also carries key ${wireDetail?.avgKeyBytes ?? '?'} B + headers ${wireDetail?.avgHeaderBytes ?? '?'} B`);
  return results;
};

export const main = async (argv: string[]): Promise<void> => {
  const { plan, start, out, quick, groups } = parseArgs(argv);
  const began = Date.now();
  await ensureInfra(start, say);
  if (groups.has('throughput')) kafkaToolsAvailable();
  const host = machine(versions.kafka);
  const log = benchLogger(join(repoRoot, 'bench', 'results', 'bench.log'));
  const runAt = new Date().toISOString();
  say(`agentbus bench${quick ? ' (quick)' : ''}: ${plan.reps} measured repetitions each, median reported`);
  say(`machine: ${host.cpu}, ${host.cores} cores, ${host.memoryGb} GB, node ${host.node}, Kafka ${host.kafka}, ${host.os}`);
  say(`broker ${config.kafka.brokers.join(',')}, registry ${config.registry.url}; bus logs in bench/results/bench.log\n`);

  const results: BenchResults = {};
  if (groups.has('throughput')) Object.assign(results, await throughputBenchmarks(plan, host, log, runAt, quick));
  if (groups.has('replay')) {
    say(`\nreplay: rebuild every read model from ${plan.replayEvents.toLocaleString('en-US')} events already in Kafka (mixed workload, 3 partitions per topic)`);
    const replay = await replayBenchmark(plan.replayEvents, log, say);
    Object.assign(results, replayEntries(replay, host, { runAt, commit: commit(), quick }));
  }
  if (groups.has('latency')) {
    say(`\nprojector latency: ${plan.latencyRate.toLocaleString('en-US')} events/s for ${plan.latencySeconds} s through the bus, the projector as its own process, tasks polled every 5 ms`);
    const latency = await latencyBenchmark(plan.latencyRate, plan.latencySeconds, log, say);
    say(`  p50 ${round(latency.p50Ms, 1)} ms, p99 ${round(latency.p99Ms, 1)} ms over ${latency.seen.toLocaleString('en-US')} tasks (${Math.round(latency.achievedRate).toLocaleString('en-US')} events/s offered); one Kafka hop p50 ${round(latency.hop.p50Ms, 1)} ms, p99 ${round(latency.hop.p99Ms, 1)} ms`);
    say(`  where the time went (ms, mean / p50 / p99): ${describeBreakdown(latency.breakdown)}; ${round(latency.transactionBatches, 2)} partition batches per transaction`);
    Object.assign(results, latencyEntries(latency, host, { runAt, commit: commit(), quick }));
  }
  if (groups.has('presence')) {
    const p = plan.presence;
    say(`\npresence: ${p.agents.toLocaleString('en-US')} simulated agents heartbeating every ${p.heartbeatMs / 1000} s, the monitor as its own process, timeout ${p.timeoutMs / 1000} s, ${p.stopped} agents stopped`);
    const presence = await presenceBenchmark(p, log, say);
    say(`  monitor CPU ${round(presence.cpuShare * 100, 1)}% of one core; ${fmt(presence.processedPerSec)} of ${fmt(presence.offeredPerSec)} heartbeats/s processed; detection delay beyond the timeout p50 ${fmt(percentile(presence.delaysMs, 50))} ms, p99 ${fmt(percentile(presence.delaysMs, 99))} ms (${presence.undetected} undetected, ${presence.falseSuspicions} false)`);
    Object.assign(results, presenceEntries(presence, host, { runAt, commit: commit(), quick }));
  }

  if (groups.has('audit')) {
    say(`\naudit: the audit sink stores ${plan.replayEvents.toLocaleString('en-US')} events already in Kafka with the hash chain (mixed workload, 3 partitions per topic)`);
    const audit = await auditBenchmark(plan.replayEvents, log, say);
    Object.assign(results, auditEntries(audit, host, { runAt, commit: commit(), quick }));
  }

  if (groups.has('sagas')) {
    say(`\nsagas: ${plan.sagas.toLocaleString('en-US')} three-step sagas through the orchestrator as its own process, instant in-process agents; baseline: the same hops chained by the agents`);
    const sagas = await sagasBenchmark(plan.sagas, log, say);
    Object.assign(results, sagaEntries(sagas, host, { runAt, commit: commit(), quick }));
  }
  if (groups.has('identity')) {
    say(`\nidentity: publishMany of ${plan.publishEvents.toLocaleString('en-US')} task.created through a signing bus (Ed25519, did:key) and an unsigned one, batch by batch in turns, batches of ${plan.batchSize}`);
    const world = await benchWorld('identity', log);
    const signed: PublishRun[] = [];
    const unsigned: PublishRun[] = [];
    try {
      const inputs = taskCreatedInputs(plan.publishEvents, Date.now().toString(36));
      for (let rep = 1; rep <= plan.reps; rep++) {
        const run = await publishSigningComparison(world, inputs, plan.batchSize, log);
        signed.push(run.signed);
        unsigned.push(run.unsigned);
        say(`  rep ${rep}: signed ${fmt(run.signed.eventsPerSec)} events/s (${round(run.signed.cpuUsPerEvent, 1)} µs CPU/event), unsigned ${fmt(run.unsigned.eventsPerSec)} events/s (${round(run.unsigned.cpuUsPerEvent, 1)} µs)`);
      }
    } finally {
      await world.cleanup();
    }
    const s = median(signed.map((r) => r.eventsPerSec));
    const u = median(unsigned.map((r) => r.eventsPerSec));
    results['publish.signed'] = {
      value: round(s),
      unit: 'events/s',
      baseline: 'publish.bus without a signing key, same run',
      baselineValue: round(u),
      ratio: round(s / u, 3),
      machine: host,
      details: { runAt, commit: commit(), quick, repetitions: plan.reps, goal: 0.8, goalMet: s / u >= 0.8, cpuUsPerEvent: round(median(signed.map((r) => r.cpuUsPerEvent)), 1), unsignedCpuUsPerEvent: round(median(unsigned.map((r) => r.cpuUsPerEvent)), 1), runs: signed.map(publishRepDetail), unsignedRuns: unsigned.map(publishRepDetail) },
    };

    const verifyReps = Math.min(plan.reps, 3);
    say(`
identity: ${plan.verifyEvents.toLocaleString('en-US')} signed events (signed as publishMany signs: v4, one signature per produce) rebuilt into all read models with verification off and require, alternating, ${verifyReps} times`);
    const verified = await replayVerificationComparison(plan.verifyEvents, verifyReps, log, say);
    const on = median(verified.require.map((r) => r.eventsPerSec));
    const off = median(verified.off.map((r) => r.eventsPerSec));
    results['replay.verified'] = {
      value: round(on),
      unit: 'events/s',
      baseline: 'the same rebuild with verification off, same run',
      baselineValue: round(off),
      ratio: round(on / off, 3),
      machine: host,
      details: {
        runAt,
        commit: commit(),
        quick,
        events: plan.verifyEvents,
        repetitions: verifyReps,
        goal: 0.8,
        goalMet: on / off >= 0.8,
        cpuUsPerEvent: round(median(verified.require.map((r) => r.cpuUsPerEvent)), 1),
        offCpuUsPerEvent: round(median(verified.off.map((r) => r.cpuUsPerEvent)), 1),
        batchSignatures: verified.verifiedBatches,
        note: 'rebuildReadModels from the beginning into a new generation; require = RecordVerifier with a static policy allowing the key every type (signature, source and grant checked per record)',
        runs: verified.require.map((r) => ({ eventsPerSec: round(r.eventsPerSec), seconds: round(r.seconds, 2), cpuUsPerEvent: round(r.cpuUsPerEvent, 1) })),
        offRuns: verified.off.map((r) => ({ eventsPerSec: round(r.eventsPerSec), seconds: round(r.seconds, 2), cpuUsPerEvent: round(r.cpuUsPerEvent, 1) })),
      },
    };
  }

  if (groups.has('console')) {
    const c = plan.console;
    say(`\nconsole: ${c.events.toLocaleString('en-US')} events, ${c.agents.toLocaleString('en-US')} agents, ${c.sagas.toLocaleString('en-US')} sagas seeded; each page's API call ${c.requests} times (+${c.warmup} warm-up) against the same SQL replayed as the analyst role`);
    const consoleRun = await consoleBenchmark(c, log, say);
    Object.assign(results, consoleEntries(consoleRun, host, { runAt, commit: commit(), quick }));
    say(`  EXPLAIN (ANALYZE, BUFFERS) of every page's statements: ${consoleRun.plansFile}`);
  }

  // Merge: a partial run (--only) replaces its own entries and keeps the others.
  let previous: BenchResults = {};
  try {
    previous = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
  } catch {
    previous = {};
  }
  mkdirSync(join(out, '..'), { recursive: true });
  writeFileSync(out, `${JSON.stringify({ ...previous, ...results }, null, 2)}\n`);
  await closeLogs();

  const rows = Object.entries(results).map(([name, e]) => {
    const goal = e.details?.goalText ?? (e.details?.goal === undefined ? undefined : `>= ${String(e.details.goal)}`);
    const met = e.details?.goalMet as boolean | undefined;
    return [name, fmt(e.value), e.unit, e.baseline === name ? '(reference)' : e.baseline, e.baseline === name ? '' : e.ratio.toFixed(2), goal === undefined ? '' : `${String(goal)} ${met ? 'met' : 'MISSED'}`];
  });
  const header = ['benchmark', 'median', 'unit', 'baseline', 'ratio', 'goal'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 || i === 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ');
  say('');
  say(line(header));
  say(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) say(line(r));
  say(`wrote ${out} in ${round((Date.now() - began) / 1000, 1)} s`);
};
