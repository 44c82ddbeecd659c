import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, spawnService, type ServiceProcess } from '@agentbus/testing';
import type { Knex } from 'knex';
import { consumeRaw } from './consume';
import type { Machine } from './machine';
import type { BenchResults } from './main';
import { prefill } from './replay';
import { nowMs, processCpuMs, round } from './stats';
import { benchWorld, config } from './world';

export interface AuditResult {
  events: number;
  eventsByTopic: Record<string, number>;
  prefillSeconds: number;
  sink: { seconds: number; eventsPerSec: number; startupSeconds: number; measuredEvents: number; concurrency: number; cpuUsPerEvent: number; dbCpuUsPerEvent: number };
  raw: { seconds: number; eventsPerSec: number; startupSeconds: number };
  copy: { rows: number; seconds: number; rowsPerSec: number; withIndexes: { seconds: number; rowsPerSec: number }; method: string };
}

export const auditGoal = 0.5;

/** The sink's own application name (services/audit-sink/src/auditSinkService.ts). */
const sinkApplicationName = 'agentbus-audit-sink';

const storedRows = async (db: Knex): Promise<number> => {
  const row = (await db.raw(`select coalesce(sum(rows), 0)::bigint as n from audit.chain_heads`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0];
  return Number(row.n);
};

/**
 * CPU of the sink's Postgres backends (its pool's connections, by application name), per pid: on
 * a machine where Postgres shares the cores, what the server spends per stored event matters as
 * much as what the sink does. A backend that ends between two readings loses its share.
 */
const sinkBackendsCpuMs = async (db: Knex, applicationName: string): Promise<Map<number, number>> => {
  const pids: number[] = (await db.raw('select pid from pg_stat_activity where datname = current_database() and application_name = ?', [applicationName])).rows.map((r: { pid: number }) => r.pid);
  const out = new Map<number, number>();
  for (const pid of pids) {
    try {
      out.set(pid, processCpuMs(pid));
    } catch {
      // ended in between, or another host's server (no /proc entry): not counted
    }
  }
  return out;
};

const backendsCpuSpent = (from: Map<number, number>, to: Map<number, number>): number => [...to].reduce((sum, [pid, ms]) => sum + ms - (from.get(pid) ?? 0), 0);

/**
 * The COPY limit for the rows the sink wrote: audit.records exported to CSV (server-side COPY TO),
 * then loaded with COPY FROM into an empty LIKE-copy without indexes (as replay.postgres-copy
 * does), and again into one with the trail's indexes and constraints; only the loads are timed.
 */
const copyLimit = async (databaseUrl: string) => {
  const db = createDatabase({ url: databaseUrl, poolMax: 1, applicationName: 'agentbus-bench-audit-copy' });
  const dir = mkdtempSync(join(tmpdir(), 'agentbus-bench-audit-'));
  chmodSync(dir, 0o777);
  const file = join(dir, 'records.csv');
  try {
    await db.raw(`copy audit.records to '${file}' with (format csv)`);
    await db.raw('create schema bench_copy');
    await db.raw('create table bench_copy.bare (like audit.records)');
    await db.raw('create table bench_copy.indexed (like audit.records including all)');
    let t = nowMs();
    const loaded = await db.raw(`copy bench_copy.bare from '${file}' with (format csv)`);
    const bare = (nowMs() - t) / 1000;
    t = nowMs();
    await db.raw(`copy bench_copy.indexed from '${file}' with (format csv)`);
    const indexed = (nowMs() - t) / 1000;
    const rows = Number(loaded.rowCount);
    return {
      rows,
      seconds: bare,
      rowsPerSec: rows / bare,
      withIndexes: { seconds: indexed, rowsPerSec: rows / indexed },
      method: "server-side COPY audit.records TO '<csv>', then COPY … FROM '<csv>' (format csv) into LIKE audit.records (no indexes); withIndexes: into LIKE … INCLUDING ALL (the trail's primary key, unique offset and its other indexes; no triggers)",
    };
  } finally {
    await db.raw('drop schema if exists bench_copy cascade').catch(() => undefined);
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
};

/**
 * audit.store: the audit sink, as its own process, storing topics pre-filled with `events`
 * events (decode, canonical record, sha256 chain, one insert and one head update per partition
 * batch). Timed from the first stored batch to the last, as the raw consume is timed from its
 * first record to its last; progress is read from the chain heads every 100 ms.
 */
/** `sinkEnv` is added to the sink's environment (the profiler passes NODE_OPTIONS=--cpu-prof). */
export const auditBenchmark = async (events: number, log: Logger, say: (line: string) => void, sinkEnv: NodeJS.ProcessEnv = {}): Promise<AuditResult> => {
  const world = await benchWorld('audit', log);
  const database = await createTestDatabase('bench_audit', config.databaseUrl);
  const db = createDatabase({ url: database.url, poolMax: 2, applicationName: 'agentbus-bench-audit' });
  let sink: ServiceProcess | undefined;
  try {
    say(`  topics ${world.prefix}.*, database ${database.name}`);
    const filled = await prefill(world.prefix, world.subjects, events, say);
    say(`  pre-filled ${events.toLocaleString('en-US')} events in ${filled.prefillSeconds.toFixed(1)} s`);
    // The sink's default (AUDIT_SINK_CONCURRENCY), stated so the result says what was measured.
    const concurrency = 6;
    const spawned = nowMs();
    sink = spawnService('services/audit-sink/src/main.ts', {
      AGENTBUS_TOPIC_PREFIX: world.prefix,
      DATABASE_URL: database.url,
      AUDIT_SINK_HTTP_PORT: '0',
      AUDIT_SINK_CONCURRENCY: String(concurrency),
      LOG_LEVEL: 'warn',
      ...sinkEnv,
    });
    let first: { at: number; rows: number; cpuMs: number; dbCpuMs: Map<number, number> } | undefined;
    let lastCpuMs = 0;
    let lastDbCpuMs = new Map<number, number>();
    let last = 0;
    const deadline = Date.now() + 1_800_000;
    for (;;) {
      if (sink.child.exitCode !== null) throw new Error(`the audit sink exited (${sink.child.exitCode}): ${sink.output().slice(-800)}`);
      const rows = await storedRows(db);
      const now = nowMs();
      if (!first && rows > 0) first = { at: now, rows, cpuMs: processCpuMs(sink.child.pid!), dbCpuMs: await sinkBackendsCpuMs(db, sinkApplicationName) };
      if (rows >= events) {
        last = now;
        lastCpuMs = processCpuMs(sink.child.pid!);
        lastDbCpuMs = await sinkBackendsCpuMs(db, sinkApplicationName);
        break;
      }
      if (Date.now() > deadline) throw new Error(`the audit sink stored ${rows} of ${events} events in 30 minutes`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (last - first!.at) / 1000;
    const measuredEvents = events - first!.rows;
    const eventsPerSec = measuredEvents / seconds;
    const cpuUsPerEvent = ((lastCpuMs - first!.cpuMs) * 1000) / measuredEvents;
    const dbCpuUsPerEvent = (backendsCpuSpent(first!.dbCpuMs, lastDbCpuMs) * 1000) / measuredEvents;
    say(`  audit sink: ${measuredEvents.toLocaleString('en-US')} events in ${seconds.toFixed(1)} s = ${Math.round(eventsPerSec).toLocaleString('en-US')} events/s stored with the hash chain, ${cpuUsPerEvent.toFixed(1)} µs sink CPU and ${dbCpuUsPerEvent.toFixed(1)} µs of its Postgres backends per event (startup ${((first!.at - spawned) / 1000).toFixed(1)} s)`);
    await sink.kill('SIGTERM');
    sink = undefined;

    const raw = await consumeRaw(world.topics.topics, undefined, events, 600_000);
    say(`  raw kafkajs consume: ${Math.round(raw.eventsPerSec).toLocaleString('en-US')} events/s (${raw.seconds.toFixed(1)} s)`);
    const copy = await copyLimit(database.url);
    say(`  postgres COPY of the audit rows: ${Math.round(copy.rowsPerSec).toLocaleString('en-US')} rows/s without indexes, ${Math.round(copy.withIndexes.rowsPerSec).toLocaleString('en-US')} rows/s with the trail's indexes`);
    return {
      events,
      eventsByTopic: Object.fromEntries(Object.entries(filled.byTopic).map(([topic, n]) => [topic.slice(world.prefix.length + 1), n])),
      prefillSeconds: filled.prefillSeconds,
      sink: { seconds, eventsPerSec, startupSeconds: (first!.at - spawned) / 1000, measuredEvents, concurrency, cpuUsPerEvent, dbCpuUsPerEvent },
      raw,
      copy,
    };
  } finally {
    await sink?.kill('SIGKILL');
    await db.destroy();
    await database.drop().catch((e: Error) => say(`  could not drop ${database.name}: ${e.message}`));
    await world.cleanup();
  }
};

type Common = { runAt: string; commit: string | undefined; quick: boolean };

/** audit.store against the lower of raw Kafka consume and Postgres COPY of the same rows, and the two limits. */
export const auditEntries = (r: AuditResult, host: Machine, common: Common): BenchResults => {
  const limits = { 'audit.raw-consume': r.raw.eventsPerSec, 'audit.postgres-copy': r.copy.rowsPerSec };
  const [lowerName, lowerValue] = Object.entries(limits).sort((a, b) => a[1] - b[1])[0]!;
  const ratio = r.sink.eventsPerSec / lowerValue;
  const volumes = { events: r.events, eventsByTopic: r.eventsByTopic, partitionsPerTopic: 3 };
  return {
    'audit.store': {
      value: round(r.sink.eventsPerSec),
      unit: 'events/s',
      baseline: lowerName,
      baselineValue: round(lowerValue),
      ratio: round(ratio, 3),
      machine: host,
      details: {
        ...common,
        goal: auditGoal,
        goalText: `>= ${auditGoal} of the lower limit`,
        goalMet: ratio >= auditGoal,
        ratioToRawConsume: round(r.sink.eventsPerSec / r.raw.eventsPerSec, 3),
        ratioToPostgresCopy: round(r.sink.eventsPerSec / r.copy.rowsPerSec, 3),
        ratioToPostgresCopyWithIndexes: round(r.sink.eventsPerSec / r.copy.withIndexes.rowsPerSec, 3),
        note: 'services/audit-sink as its own process (AUDIT_SINK_CONCURRENCY partitions at once) on a fresh database: decode, canonical record, sha256 chain per partition, one binary COPY plus one chain-head update per partition batch; timed from the first stored batch to the last (chain heads polled every 100 ms)',
        seconds: round(r.sink.seconds, 2),
        cpuUsPerEvent: round(r.sink.cpuUsPerEvent, 1),
        dbCpuUsPerEvent: round(r.sink.dbCpuUsPerEvent, 1),
        startupSeconds: round(r.sink.startupSeconds, 2),
        measuredEvents: r.sink.measuredEvents,
        concurrency: r.sink.concurrency,
        ...volumes,
        workload: 'mixedWorkload of @agentbus/testing, pre-filled as for replay.* (codec-encoded, keyed, bus headers)',
        prefillSeconds: round(r.prefillSeconds, 1),
      },
    },
    'audit.raw-consume': {
      value: round(r.raw.eventsPerSec),
      unit: 'events/s',
      baseline: 'audit.raw-consume',
      baselineValue: round(r.raw.eventsPerSec),
      ratio: 1,
      machine: host,
      details: { ...common, note: 'kafkajs eachBatch over the same topics (every category and the dlq), a fresh group, no decode, first record to the last; a limit for audit.store', seconds: round(r.raw.seconds, 2), startupSeconds: round(r.raw.startupSeconds, 2), ...volumes },
    },
    'audit.postgres-copy': {
      value: round(r.copy.rowsPerSec),
      unit: 'rows/s',
      baseline: 'audit.postgres-copy',
      baselineValue: round(r.copy.rowsPerSec),
      ratio: 1,
      machine: host,
      details: { ...common, note: `the rows the sink stored, loaded again with COPY: ${r.copy.method}; a limit for audit.store`, rows: r.copy.rows, seconds: round(r.copy.seconds, 2), withIndexes: { seconds: round(r.copy.withIndexes.seconds, 2), rowsPerSec: round(r.copy.withIndexes.rowsPerSec) } },
    },
  };
};
