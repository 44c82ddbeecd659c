import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join, relative } from 'node:path';
import { repoRoot } from '../infra/settings';
import { auditBenchmark } from './audit';
import { sagasBenchmark } from './sagas';
import { consumeThroughBus } from './consume';
import { publishThroughBus } from './publish';
import { prefill, rebuildBenchTopics, replayBenchmark } from './replay';
import { nowMs, round } from './stats';
import { benchLogger, benchWorld, closeLogs, config, ensureInfra } from './world';
import { createKafkaEventBus, RecordVerifier } from '@agentbus/bus';
import { generateSigningKey, staticAgentPolicy } from '@agentbus/identity';
import type { Logger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { ensureLiveReadModels } from '@agentbus/read-models';
import { createTestDatabase } from '@agentbus/testing';
import { chunk, taskCreatedInputs } from './workload';

/**
 * CPU profile of one path, warm: `publish` (publishMany of task.created) or `consume` (a `#`
 * subscription over a pre-filled topic), the bus alone; `rebuild` (the replay bench's rebuild, in
 * this process); `replay-verified` and `replay-signed-off` (replay.verified's rebuild of signed
 * topics, with verification `require` and `off`, after one unsampled rebuild); `audit` (the audit
 * sink as its own process, profiled from start to SIGTERM by cpuProfilePreload.cjs); `sagas` (the
 * saga orchestrator as its own process through the sagas bench, profiled the same way). Except for
 * `audit` and `sagas`, only the measured part is sampled.
 *
 *   npx tsx scripts/bench/profile.ts publish|publish-signed|consume|rebuild|replay-verified|replay-signed-off|audit|sagas [events]
 *
 * Writes bench/results/profiles/<scenario>.cpuprofile (open in Chrome DevTools or speedscope) and
 * prints the functions with the most self time, and self time per package / source file.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const place = (url: string, detailed = false): string => {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)(\/.*)?$/.exec(path);
  if (inModules) return detailed ? `${inModules[1]}${inModules[2] ?? ''}` : inModules[1]!;
  if (path.startsWith('node:')) return path;
  return relative(repoRoot, path);
};

// tsx compiles each .ts file without keeping line numbers in the profile, so those get none.
const frameName = ({ callFrame: { functionName, url, lineNumber } }: ProfileNode): string =>
  `${functionName || '(anonymous)'}  ${place(url, true)}${url && !url.endsWith('.ts') ? `:${lineNumber + 1}` : ''}`;

/**
 * Self time per function and per package (or repo file), from the sampled stacks; for the
 * hottest functions, the call chains (nearest first, up to 4 frames) their self time comes from.
 */
export const summariseProfile = (profile: CpuProfile, top = 25): string => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const fns = new Map<string, number>();
  const places = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const { functionName, url } = byId.get(id)!.callFrame;
    const where = place(url);
    const fn = frameName(byId.get(id)!);
    fns.set(fn, (fns.get(fn) ?? 0) + us);
    const group = functionName === '(garbage collector)' || functionName === '(idle)' || functionName === '(program)' ? functionName : where;
    places.set(group, (places.get(group) ?? 0) + us);
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, us]) => `  ${pct(us)}  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}`);
  // Inclusive: a sample counts once for every distinct function on its stack.
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const seen = new Set<string>();
    for (let n: number | undefined = id; n !== undefined; n = parentOf.get(n)) {
      const fn = frameName(byId.get(n)!);
      if (seen.has(fn)) continue;
      seen.add(fn);
      inclusive.set(fn, (inclusive.get(fn) ?? 0) + us);
    }
  }
  for (const root of ['(root)  (native)', 'runMicrotasks  (native)', 'processTicksAndRejections  node:internal/process/task_queues:67', 'listOnTimeout  node:internal/timers:512', 'processTimers  node:internal/timers:492']) inclusive.delete(root);
  const chains: string[] = [];
  for (const [fn] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
    if (fn.startsWith('(garbage collector)') || fn.startsWith('(idle)') || fn.startsWith('(program)')) continue;
    const byChain = new Map<string, number>();
    for (const [id, us] of selfUs) {
      if (frameName(byId.get(id)!) !== fn) continue;
      const chain: string[] = [];
      for (let p = parentOf.get(id); p !== undefined && chain.length < 4; p = parentOf.get(p)) chain.push(frameName(byId.get(p)!).replace(/\s+/g, ' '));
      const key = chain.join(' < ');
      byChain.set(key, (byChain.get(key) ?? 0) + us);
    }
    chains.push(`  ${fn.replace(/\s+/g, ' ')}`);
    for (const [chain, us] of [...byChain].sort((a, b) => b[1] - a[1]).slice(0, 4)) chains.push(`    ${pct(us)}  < ${chain}`);
  }
  return [
    `sampled ${(total / 1e6).toFixed(2)} s`,
    'self time by function:',
    ...rows(fns),
    '',
    'self time by package / file:',
    ...rows(places),
    '',
    'total time by function (self + callees):',
    ...rows(inclusive),
    '',
    'where the hottest functions are called from:',
    ...chains,
  ].join('\n');
};

const sampled = async <T>(session: Session, work: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }> => {
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  const result = await work();
  const profile = (await session.post('Profiler.stop')).profile as unknown as CpuProfile;
  return { result, profile };
};

const scenarios = ['publish', 'publish-signed', 'consume', 'rebuild', 'replay-verified', 'replay-signed-off', 'audit', 'sagas'] as const;

/** replay.verified's rebuild of signed topics, the second time (the first warms up), sampled; with `require` or with verification off. */
const signedRebuildProfile = async (session: Session, verify: boolean, events: number, log: Logger, say: (line: string) => void): Promise<{ profile: CpuProfile; eventsPerSec: number }> => {
  const world = await benchWorld('prof-verify', log);
  const database = await createTestDatabase('bench_prof_verify', config.databaseUrl);
  const db = createDatabase({ url: database.url, poolMax: 4, applicationName: 'agentbus-bench-profile' });
  const key = generateSigningKey();
  try {
    const filled = await prefill(world.prefix, world.subjects, events, say, key);
    await ensureLiveReadModels(db);
    const verifier = () => (verify ? { identity: { verifier: new RecordVerifier({ mode: 'require', policy: staticAgentPolicy([{ did: key.did, types: ['#'], name: 'bench', allowedAt: new Date(), revokedAt: null }]) }) } } : {});
    await rebuildBenchTopics(world, database, db, filled.codec, log, verifier());
    const started = nowMs();
    const { profile } = await sampled(session, () => rebuildBenchTopics(world, database, db, filled.codec, log, verifier()));
    return { profile, eventsPerSec: events / ((nowMs() - started) / 1000) };
  } finally {
    await db.destroy();
    await database.drop().catch(() => undefined);
    await world.cleanup();
  }
};

const main = async (): Promise<void> => {
  const scenario = process.argv[2] as (typeof scenarios)[number];
  if (!scenarios.includes(scenario)) throw new Error(`usage: npx tsx scripts/bench/profile.ts ${scenarios.join('|')} [events]`);
  const events = Number(process.argv[3] ?? (scenario.startsWith('publish') ? 100_000 : 200_000));
  await ensureInfra(false, console.log);
  const log = benchLogger(join(repoRoot, 'bench', 'results', 'profile.log'));
  const say = (line: string) => console.log(line);
  const session = new Session();
  session.connect();
  let profile!: CpuProfile;
  let rate: number;
  try {
    if (scenario === 'replay-verified' || scenario === 'replay-signed-off') {
      const run = await signedRebuildProfile(session, scenario === 'replay-verified', events, log, say);
      profile = run.profile;
      rate = run.eventsPerSec;
    } else if (scenario === 'rebuild') {
      let taken: CpuProfile | undefined;
      const replay = await replayBenchmark(events, log, say, async (work) => {
        const { result, profile: p } = await sampled(session, work);
        taken = p;
        return result;
      });
      profile = taken!;
      rate = replay.rebuild.eventsPerSec;
    } else if (scenario === 'audit' || scenario === 'sagas') {
      const dir = join(repoRoot, 'bench', 'results', 'profiles', scenario === 'audit' ? 'audit-sink' : 'saga-orchestrator');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const env = { NODE_OPTIONS: `--require ${join(__dirname, 'cpuProfilePreload.cjs')}`, AGENTBUS_CPU_PROF_DIR: dir };
      rate = scenario === 'audit' ? (await auditBenchmark(events, log, say, env)).sink.eventsPerSec : (await sagasBenchmark(Math.min(events, 5000), log, say, env)).orchestrated.sagasPerSec;
      const newest = readdirSync(dir)
        .map((f) => join(dir, f))
        .sort((a, b) => statSync(b).size - statSync(a).size)[0];
      if (!newest) throw new Error(`the audit sink wrote no profile into ${dir}`);
      profile = JSON.parse(readFileSync(newest, 'utf8')) as CpuProfile;
    } else {
      const world = await benchWorld(`prof-${scenario}`, log);
      try {
        const bus =
          scenario === 'publish-signed'
            ? createKafkaEventBus({ connection: { ...config, topicPrefix: world.prefix }, service: 'bench-signed', logger: log, signingKey: generateSigningKey() })
            : await world.bus();
        if (scenario === 'publish-signed') await bus.registerSchemas();
        const inputs = taskCreatedInputs(Math.min(events, 100_000), Date.now().toString(36));
        if (scenario.startsWith('publish')) {
          await publishThroughBus(bus, inputs.slice(0, 30_000), 500);
          const run = await sampled(session, () => publishThroughBus(bus, inputs, 500));
          ({ profile } = run);
          rate = run.result.eventsPerSec;
        } else {
          for (let published = 0; published < events; ) {
            for (const batch of chunk(inputs.slice(0, events - published), 500)) {
              await bus.publishMany(batch);
              published += batch.length;
            }
          }
          await consumeThroughBus(bus, Math.min(50_000, events), 120_000);
          const run = await sampled(session, () => consumeThroughBus(bus, events, 180_000));
          ({ profile } = run);
          rate = run.result.eventsPerSec;
        }
      } finally {
        await world.cleanup();
      }
    }
  } finally {
    session.disconnect();
    await closeLogs();
  }
  const dir = join(repoRoot, 'bench', 'results', 'profiles');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${scenario}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  console.log(`${scenario}: ${round(rate)} events/s while profiling (the profiler slows it somewhat); profile in ${relative(repoRoot, file)}`);
  console.log(summariseProfile(profile));
};

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exit(1);
    },
  );
}
