import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { Client } from 'pg';
import type { Logger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { analystRole, ensureLiveReadModels } from '@agentbus/read-models';
import { createTestDatabase, spawnService, type ServiceProcess } from '@agentbus/testing';
import { repoRoot } from '../infra/settings';
import { seedConsoleDatabase, type ConsoleVolumes, type SeededTargets } from './consoleSeed';
import type { Machine } from './machine';
import type { BenchResults } from './main';
import { captureProxy, replay, type CapturedStatement } from './pgCapture';
import { median, nowMs, percentile, round } from './stats';
import { benchWorld, config } from './world';

export interface ConsolePlan extends ConsoleVolumes {
  /** Measured requests per page (and as many replays of its SQL), after `warmup` unmeasured ones. */
  requests: number;
  warmup: number;
  /** A page that is still running after this long stops, with at least 20 measured requests (3 when it is ten times over the goal). */
  secondsPerPage: number;
  /** A request (API call or replay) given up after this long; the page is reported as at least that slow. */
  timeoutMs: number;
}

export const consoleGoalMs = 100;
const minimumRequests = 20;
const hopelessMs = 10 * consoleGoalMs;

/** One page's API call: the paths asked in turn (one, or one per saga/event when the answer depends on which). */
export interface ConsolePage {
  name: string;
  what: string;
  paths: string[];
  /** Why the answer cannot be measured (empty list, wrong thing), or undefined. */
  problem: (body: unknown) => string | undefined;
  /** A few facts of the answer for the results (items, next cursor). */
  facts: (body: unknown) => Record<string, unknown>;
}

export interface PageResult {
  name: string;
  what: string;
  path: string;
  paths: number;
  apiMs: number[];
  sqlMs: number[];
  /** Statements the console ran for one request (BEGIN, SET ROLE and COMMIT included) and on how many connections. */
  statements: number;
  connections: number;
  rows: number;
  responseBytes: number;
  facts: Record<string, unknown>;
  budgetHit: boolean;
  /** A request ran into the plan's timeout: the figures are lower bounds. */
  timedOut: boolean;
}

export interface ConsoleBenchResult {
  plan: ConsolePlan;
  counts: Record<string, number>;
  seedSeconds: number;
  pages: PageResult[];
  keyset: Record<string, string>;
  plansFile: string;
}

type Json = Record<string, unknown>;
const items = (body: unknown): unknown[] => ((body as Json).items as unknown[]) ?? [];
const listFacts = (body: unknown) => ({ items: items(body).length, next: (body as Json).next ?? null });
const needs = (ok: boolean, problem: string): string | undefined => (ok ? undefined : problem);

/** The pages of issue 16, as the web app asks for them (its page sizes and parameters). */
export const consolePages = (t: Pick<SeededTargets, 'agentCursor' | 'capability' | 'sagaCursor' | 'sagaIds' | 'tracedSagaIds' | 'eventIds'>): ConsolePage[] => {
  const q = encodeURIComponent;
  const rotate = (ids: string[], path: (id: string) => string) => ids.slice(0, 20).map(path);
  const fullList = (size: number) => (body: unknown) => needs(items(body).length === size && typeof (body as Json).next === 'string', `expected a full page of ${size} and a cursor`);
  return [
    { name: 'agents', what: 'GET /api/agents, first page of 100', paths: ['/api/agents?limit=100'], problem: fullList(100), facts: listFacts },
    { name: 'agents-deep', what: 'GET /api/agents, a page of 100 from a cursor in the middle', paths: [`/api/agents?limit=100&after=${q(t.agentCursor)}`], problem: fullList(100), facts: listFacts },
    {
      name: 'agents-capability',
      what: `GET /api/agents?capability=${t.capability}&minCapacity=0 as the web app asks (the capability most online agents have; top 50 by backpressure, load, spare capacity)`,
      paths: [`/api/agents?capability=${q(t.capability)}&minCapacity=0`],
      problem: (b) => needs(((b as Json).agents as unknown[]).length > 0, 'no capable agent'),
      facts: (b) => ({ agents: ((b as Json).agents as unknown[]).length }),
    },
    { name: 'sagas', what: 'GET /api/sagas, first page of 50, newest first', paths: ['/api/sagas?limit=50&status=&q='], problem: fullList(50), facts: listFacts },
    { name: 'sagas-status', what: 'GET /api/sagas?status=failed, first page of 50', paths: ['/api/sagas?limit=50&status=failed&q='], problem: fullList(50), facts: listFacts },
    {
      name: 'sagas-search',
      what: 'GET /api/sagas?q=<a saga id>, 20 different sagas in turn (one match each)',
      paths: rotate(t.sagaIds, (id) => `/api/sagas?limit=50&status=&q=${q(id)}`),
      problem: (b) => needs(items(b).length === 1, 'a saga id should find its saga'),
      facts: listFacts,
    },
    {
      name: 'sagas-search-name',
      what: "GET /api/sagas?q=refu, part of a saga name (a full page of matches)",
      paths: ['/api/sagas?limit=50&status=&q=refu'],
      problem: fullList(50),
      facts: listFacts,
    },
    {
      name: 'sagas-search-none',
      what: 'GET /api/sagas?q=no-such-saga, a search that matches nothing',
      paths: ['/api/sagas?limit=50&status=&q=no-such-saga'],
      problem: (b) => needs(items(b).length === 0, 'expected no match'),
      facts: listFacts,
    },
    { name: 'sagas-deep', what: 'GET /api/sagas, a page of 50 from a cursor in the middle', paths: [`/api/sagas?limit=50&status=&q=&after=${q(t.sagaCursor)}`], problem: fullList(50), facts: listFacts },
    {
      name: 'saga',
      what: 'GET /api/sagas/:id, the saga and its timeline, 20 sagas in turn',
      paths: rotate(t.sagaIds, (id) => `/api/sagas/${q(id)}`),
      problem: (b) => needs(((b as Json).timeline as unknown[])?.length > 0, 'no timeline'),
      facts: (b) => ({ timeline: ((b as Json).timeline as unknown[]).length }),
    },
    {
      name: 'trace',
      what: 'GET /api/trace/:sagaId, the causation tree of a saga with 10 events, 20 sagas in turn',
      paths: rotate(t.tracedSagaIds, (id) => `/api/trace/${q(id)}`),
      problem: (b) => needs((b as Json).events === 10, `expected 10 events, got ${String((b as Json).events)}`),
      facts: (b) => ({ events: (b as Json).events }),
    },
    {
      name: 'event',
      what: 'GET /api/events/:id, one event of the audit trail with payload and headers, 20 events in turn',
      paths: rotate(t.eventIds, (id) => `/api/events/${q(id)}`),
      problem: (b) => needs(typeof (b as Json).event_id === 'string', 'no event'),
      facts: (b) => ({ type: (b as Json).type }),
    },
    { name: 'dead-letters', what: 'GET /api/dead-letters, the first 100 still waiting', paths: ['/api/dead-letters?limit=100'], problem: (b) => needs(items(b).length > 0, 'no dead letter waiting'), facts: listFacts },
    { name: 'dead-letters-all', what: 'GET /api/dead-letters?all=true, the first 100', paths: ['/api/dead-letters?limit=100&all=true'], problem: (b) => needs(items(b).length > 0, 'no dead letter'), facts: listFacts },
    {
      name: 'audit',
      what: "GET /api/audit, every partition's chain head and the last verification",
      paths: ['/api/audit'],
      problem: (b) => needs(((b as Json).heads as unknown[]).length > 0 && (b as Json).lastVerification !== null, 'no chain heads or no verification'),
      facts: (b) => ({ heads: ((b as Json).heads as unknown[]).length }),
    },
    {
      name: 'overview',
      what: 'GET /api/overview: agents and sagas by status, events/s per category, dead letters waiting, consumer lag (Kafka end offsets)',
      paths: ['/api/overview'],
      problem: (b) => needs(Number(((b as Json).agents as Json)?.online) > 0 && Array.isArray((b as Json).consumerLag), 'no agents online or no consumer lag'),
      facts: (b) => ({ deadLettersWaiting: (b as Json).deadLettersWaiting, consumers: ((b as Json).consumerLag as unknown[]).length }),
    },
  ];
};

/** A LIMIT … OFFSET clause in a captured statement: lists must page by keyset. */
export const usesOffset = (sql: string): boolean => /\boffset\s+(\$\d+|\d+|\?)/i.test(sql);

const until = async (probe: () => boolean, timeoutMs: number, what: () => string): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

const started = async (service: ServiceProcess, ready: string, name: string): Promise<void> => {
  await until(() => service.output().includes(ready) || service.child.exitCode !== null, 90_000, () => `${name} to start: ${service.output().slice(-800)}`);
  if (service.child.exitCode !== null) throw new Error(`${name} exited (${service.child.exitCode}): ${service.output().slice(-800)}`);
};

/** One CONSOLE_USERS entry, made by the console's own tool (the password goes in on stdin). */
const userEntry = (name: string, role: string, password: string): string => {
  const result = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(repoRoot, 'services', 'console', 'src', 'hashPassword.ts'), name, role], {
    cwd: repoRoot,
    input: `${password}\n`,
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`hashPassword.ts failed: ${result.stderr}`);
  return result.stdout.trim();
};

interface RunningConsole {
  service: ServiceProcess;
  url: string;
  cookie: string;
}

const startConsole = async (env: NodeJS.ProcessEnv, user: { name: string; password: string }): Promise<RunningConsole> => {
  const service = spawnService('services/console/src/main.ts', env);
  await started(service, 'console running', 'the console');
  const line = service
    .output()
    .split('\n')
    .find((l) => l.includes('"console running"'));
  const port = (JSON.parse(line!) as { port: number }).port;
  const url = `http://127.0.0.1:${port}`;
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: user.name, password: user.password }) });
  if (res.status !== 200) throw new Error(`login to the console: HTTP ${res.status}`);
  return { service, url, cookie: res.headers.get('set-cookie')!.split(';')[0]! };
};

const get = async (c: RunningConsole, path: string, timeoutMs = 60_000): Promise<{ status: number; text: string; timedOut: boolean }> => {
  try {
    const res = await fetch(`${c.url}${path}`, { headers: { cookie: c.cookie }, signal: AbortSignal.timeout(timeoutMs) });
    return { status: res.status, text: await res.text(), timedOut: false };
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') return { status: 0, text: '', timedOut: true };
    throw error;
  }
};

// SQLSTATE query_canceled: what statement_timeout raises.
const queryCanceled = '57014';

/** Stops the console's statements still running for a request the bench gave up on, so they do not slow the next pages. */
const cancelConsoleQueries = async (db: Knex): Promise<void> => {
  await db.raw(`select pg_cancel_backend(pid) from pg_stat_activity where datname = current_database() and application_name = 'agentbus-console' and state = 'active'`);
};

/** Follows a list's cursor once: page two must start after page one, with nothing twice. */
const keysetHolds = async (c: RunningConsole, path: string, key: (item: Json) => string, descending = false): Promise<string> => {
  const first = JSON.parse((await get(c, path)).text) as { items: Json[]; next: string | null };
  if (!first.next) return 'one page only';
  const second = JSON.parse((await get(c, `${path}&after=${encodeURIComponent(first.next)}`)).text) as { items: Json[] };
  const a = first.items.map(key);
  const b = second.items.map(key);
  const overlap = b.filter((k) => a.includes(k)).length;
  const ordered = descending ? b[0]! < a.at(-1)! : b[0]! > a.at(-1)!;
  return overlap === 0 && ordered && b.length > 0 ? 'ok' : `BROKEN: ${overlap} items on both pages, page two ${ordered ? 'after' : 'not after'} page one`;
};

/**
 * Each captured SELECT again under EXPLAIN (ANALYZE, BUFFERS), in a read-only transaction as the
 * analyst role like the console's; a statement that runs into the timeout gets a plain EXPLAIN.
 */
const explain = async (client: Client, statements: CapturedStatement[]): Promise<string> => {
  const out: string[] = [];
  const inTransaction = async (options: string, s: CapturedStatement) => {
    await client.query('begin read only');
    try {
      await client.query(`set local role ${analystRole}`);
      return (await client.query({ text: `explain ${options} ${s.sql}`, values: s.params ?? [] })).rows as { 'QUERY PLAN': string }[];
    } finally {
      await client.query('rollback');
    }
  };
  for (const s of statements.filter((x) => /^\s*(select|with)\b/i.test(x.sql))) {
    const plan = await inTransaction('(analyze, buffers)', s).catch(async (error: { code?: string }) => {
      if (error.code !== queryCanceled) throw error;
      return [{ 'QUERY PLAN': '(EXPLAIN ANALYZE ran into the timeout; the plan without running it:)' }, ...(await inTransaction('', s))];
    });
    out.push(`${s.sql.replace(/\s+/g, ' ').trim()}\n  params: ${JSON.stringify(s.params ?? [])}\n${plan.map((r) => `  ${r['QUERY PLAN']}`).join('\n')}`);
  }
  return out.join('\n\n');
};

/**
 * console.*: a database seeded with a day of traffic at the issue's scale, the console as its own
 * process, every page's API call N times; between them, the very SQL the console ran for that call
 * (captured on the wire by a proxy in a first pass) replayed straight to Postgres.
 */
export const consoleBenchmark = async (plan: ConsolePlan, log: Logger, say: (line: string) => void): Promise<ConsoleBenchResult> => {
  const world = await benchWorld('console', log);
  const database = await createTestDatabase('bench_console', config.databaseUrl);
  const db = createDatabase({ url: database.url, poolMax: 2, applicationName: 'agentbus-bench-console' });
  const services: ServiceProcess[] = [];
  const clients: Client[] = [];
  const proxy = await captureProxy({ host: new URL(database.url).hostname, port: Number(new URL(database.url).port || 5432) });
  try {
    say(`  topics ${world.prefix}.*, database ${database.name}`);
    await world.bus();
    const live = await ensureLiveReadModels(db);
    // The audit trail's schema, roles and analyst views are the audit sink's migrations; it makes them at start.
    const sink = spawnService('services/audit-sink/src/main.ts', { AGENTBUS_TOPIC_PREFIX: world.prefix, DATABASE_URL: database.url, AUDIT_SINK_HTTP_PORT: '0', LOG_LEVEL: 'info' });
    services.push(sink);
    await started(sink, 'audit sink running', 'the audit sink');
    await sink.kill('SIGTERM');

    say(`  seeding ${plan.events.toLocaleString('en-US')} events, ${plan.agents.toLocaleString('en-US')} agents, ${plan.sagas.toLocaleString('en-US')} sagas, ${plan.deadLetters.toLocaleString('en-US')} dead letters`);
    const seedStart = nowMs();
    const targets = await seedConsoleDatabase(db, { schema: live.schema, prefix: world.prefix, volumes: plan, say });
    const seedSeconds = (nowMs() - seedStart) / 1000;
    say(`  seeded in ${seedSeconds.toFixed(1)} s: ${Object.entries(targets.counts).map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`).join(', ')}`);

    const user = { name: 'bench', password: randomBytes(12).toString('hex') };
    const consoleEnv = (databaseUrl: string): NodeJS.ProcessEnv => ({
      AGENTBUS_TOPIC_PREFIX: world.prefix,
      DATABASE_URL: databaseUrl,
      CONSOLE_HTTP_PORT: '0',
      CONSOLE_USERS: userEntry(user.name, 'viewer', user.password),
      CONSOLE_SESSION_SECRET: randomBytes(24).toString('hex'),
      LOG_LEVEL: 'info',
    });
    const pages = consolePages(targets);

    // Pass 1: the console talks to Postgres through the proxy, which notes each request's SQL.
    const viaProxy = new URL(database.url);
    viaProxy.hostname = '127.0.0.1';
    viaProxy.port = String(proxy.port);
    const capturing = await startConsole(consoleEnv(viaProxy.toString()), user);
    services.push(capturing.service);
    const captured = new Map<string, CapturedStatement[][]>();
    const facts = new Map<string, { facts: Record<string, unknown>; bytes: number }>();
    const timedOut = new Set<string>();
    for (const page of pages) {
      for (const path of page.paths) {
        proxy.take();
        const answer = await get(capturing, path, plan.timeoutMs);
        const statements = proxy.take();
        if (statements.length === 0) throw new Error(`${path}: no SQL seen`);
        captured.set(path, statements);
        if (answer.timedOut) {
          // What the console sent up to then is the statement that is too slow; the other ids would be too.
          await cancelConsoleQueries(db);
          timedOut.add(page.name);
          facts.set(page.name, { facts: { timedOut: true }, bytes: 0 });
          say(`  ${page.name}: no answer within ${plan.timeoutMs / 1000} s`);
          break;
        }
        if (answer.status !== 200) throw new Error(`${path}: HTTP ${answer.status} ${answer.text.slice(0, 300)}`);
        const body = JSON.parse(answer.text) as unknown;
        const problem = page.problem(body);
        if (problem) throw new Error(`${path}: ${problem}`);
        if (!facts.has(page.name)) facts.set(page.name, { facts: page.facts(body), bytes: Buffer.byteLength(answer.text) });
      }
    }
    const keyset: Record<string, string> = {
      '/api/agents': await keysetHolds(capturing, '/api/agents?limit=100', (a) => a.agentId as string),
      '/api/sagas': await keysetHolds(capturing, '/api/sagas?limit=50', (s) => s.saga_id as string, true),
      '/api/sagas?status=failed': await keysetHolds(capturing, '/api/sagas?limit=50&status=failed', (s) => s.saga_id as string, true),
      '/api/dead-letters?all=true': await keysetHolds(capturing, '/api/dead-letters?limit=100&all=true', (d) => `${String(d.partition).padStart(3, '0')}:${String(d.offset).padStart(20, '0')}`),
    };
    for (const page of pages) {
      const offsets = captured.get(page.paths[0]!)!.flat().filter((s) => usesOffset(s.sql));
      if (offsets.length > 0) keyset[page.name] = `BROKEN: OFFSET in ${offsets[0]!.sql.slice(0, 120)}`;
    }
    say(`  keyset pagination: ${Object.entries(keyset).map(([k, v]) => `${k} ${v}`).join(', ')}`);
    await capturing.service.kill('SIGTERM');

    // Pass 2: the console straight on Postgres; the bench replays the captured SQL on its own connections.
    const measured = await startConsole(consoleEnv(database.url), user);
    services.push(measured.service);
    for (let i = 0; i < 3; i++) {
      const client = new Client({ connectionString: database.url, application_name: 'agentbus-bench-console-sql', statement_timeout: plan.timeoutMs });
      await client.connect();
      clients.push(client);
    }
    const results: PageResult[] = [];
    const plans: string[] = [];
    for (const page of pages) {
      const apiMs: number[] = [];
      const sqlMs: number[] = [];
      let rows = 0;
      let warm = 0;
      let budgetHit = false;
      let pageTimedOut = timedOut.has(page.name);
      const begun = nowMs();
      for (let i = 0; apiMs.length < plan.requests; i++) {
        const path = page.paths[i % page.paths.length]!;
        const api = async (): Promise<number> => {
          if (timedOut.has(page.name)) return plan.timeoutMs;
          const t = nowMs();
          const answer = await get(measured, path, plan.timeoutMs);
          if (answer.timedOut) {
            await cancelConsoleQueries(db);
            pageTimedOut = true;
            return plan.timeoutMs;
          }
          if (answer.status !== 200) throw new Error(`${path}: HTTP ${answer.status}`);
          return nowMs() - t;
        };
        const sql = async (): Promise<number> => {
          const t = nowMs();
          try {
            rows = await replay(clients, captured.get(path)!);
          } catch (error) {
            if ((error as { code?: string }).code !== queryCanceled) throw error;
            pageTimedOut = true;
            return plan.timeoutMs;
          }
          return nowMs() - t;
        };
        // Alternating which goes first, so neither always finds the other's pages in cache.
        let a: number;
        let s: number;
        if (i % 2 === 0) {
          a = await api();
          s = await sql();
        } else {
          s = await sql();
          a = await api();
        }
        // A page ten times over the goal needs no warm-up, and three answers tell enough about it.
        if (warm < plan.warmup && a <= hopelessMs && !pageTimedOut) {
          warm++;
          continue;
        }
        apiMs.push(a);
        sqlMs.push(s);
        if (pageTimedOut) break;
        const enough = median(apiMs) > hopelessMs ? 3 : minimumRequests;
        if (apiMs.length >= enough && (nowMs() - begun) / 1000 > plan.secondsPerPage) {
          budgetHit = true;
          break;
        }
      }
      const statements = captured.get(page.paths[0]!)!;
      results.push({
        name: page.name,
        what: page.what,
        path: page.paths[0]!,
        paths: page.paths.length,
        apiMs,
        sqlMs,
        statements: statements.flat().length,
        connections: statements.length,
        rows,
        responseBytes: facts.get(page.name)!.bytes,
        facts: facts.get(page.name)!.facts,
        budgetHit,
        timedOut: pageTimedOut,
      });
      const ms = (v: number) => (pageTimedOut && v >= plan.timeoutMs ? `> ${plan.timeoutMs / 1000} s` : `${v.toFixed(1)} ms`);
      say(
        `  ${page.name.padEnd(18)} API p50 ${ms(percentile(apiMs, 50))}, p95 ${ms(percentile(apiMs, 95))}; SQL p50 ${ms(percentile(sqlMs, 50))}, p95 ${ms(percentile(sqlMs, 95))} (${apiMs.length} requests${budgetHit ? ', time budget reached' : ''}${pageTimedOut ? ', timed out' : ''})`,
      );
      plans.push(`== ${page.name}: ${page.paths[0]}\n${await explain(clients[0]!, statements.flat())}`);
    }
    const plansFile = join(repoRoot, 'bench', 'results', 'console-plans.txt');
    mkdirSync(join(plansFile, '..'), { recursive: true });
    writeFileSync(plansFile, `${plans.join('\n\n')}\n`);
    return { plan, counts: targets.counts, seedSeconds, pages: results, keyset, plansFile };
  } finally {
    for (const client of clients) await client.end().catch(() => undefined);
    for (const service of services) await service.kill('SIGKILL');
    await proxy.close();
    await db.destroy();
    await database.drop().catch((e: Error) => say(`  could not drop ${database.name}: ${e.message}`));
    await world.cleanup();
  }
};

type Common = { runAt: string; commit: string | undefined; quick: boolean };

/** One entry per page (API p95 against the same SQL's p95, and the 100 ms goal), and console.pages: the slowest page against the goal. */
export const consoleEntries = (r: Pick<ConsoleBenchResult, 'pages' | 'counts' | 'seedSeconds' | 'keyset' | 'plan'>, host: Machine, common: Common): BenchResults => {
  const entries: BenchResults = {};
  const summary: Record<string, { p50Ms: number; p95Ms: number; sqlP95Ms: number; timedOut?: true }> = {};
  for (const page of r.pages) {
    const p95 = percentile(page.apiMs, 95);
    const sqlP95 = percentile(page.sqlMs, 95);
    summary[page.name] = { p50Ms: round(percentile(page.apiMs, 50), 1), p95Ms: round(p95, 1), sqlP95Ms: round(sqlP95, 1), ...(page.timedOut ? { timedOut: true as const } : {}) };
    entries[`console.${page.name}`] = {
      value: round(p95, 1),
      unit: 'ms (p95)',
      baseline: 'the same SQL replayed as the analyst role (p95)',
      baselineValue: round(sqlP95, 1),
      ratio: round(p95 / sqlP95, 2),
      machine: host,
      details: {
        ...common,
        goal: consoleGoalMs,
        goalText: `p95 <= ${consoleGoalMs} ms`,
        goalMet: p95 <= consoleGoalMs,
        what: page.what,
        path: page.path,
        pathsInTurn: page.paths,
        p50Ms: round(percentile(page.apiMs, 50), 1),
        p99Ms: round(percentile(page.apiMs, 99), 1),
        maxMs: round(Math.max(...page.apiMs), 1),
        sqlP50Ms: round(percentile(page.sqlMs, 50), 1),
        sqlP99Ms: round(percentile(page.sqlMs, 99), 1),
        requests: page.apiMs.length,
        timeBudgetReached: page.budgetHit,
        ...(page.timedOut ? { timedOut: true, note: `requests given up after ${r.plan.timeoutMs} ms count as that long: the figures are lower bounds` } : {}),
        statementsPerRequest: page.statements,
        connectionsPerRequest: page.connections,
        rowsPerRequest: page.rows,
        responseBytes: page.responseBytes,
        answer: page.facts,
      },
    };
  }
  const slowest = [...r.pages].sort((a, b) => percentile(b.apiMs, 95) - percentile(a.apiMs, 95))[0]!;
  const worst = percentile(slowest.apiMs, 95);
  const missed = r.pages.filter((p) => percentile(p.apiMs, 95) > consoleGoalMs).map((p) => p.name);
  entries['console.pages'] = {
    value: round(worst, 1),
    unit: 'ms (p95 of the slowest page)',
    baseline: `goal p95 <= ${consoleGoalMs} ms on every page`,
    baselineValue: consoleGoalMs,
    ratio: round(worst / consoleGoalMs, 3),
    machine: host,
    details: {
      ...common,
      goalText: `p95 <= ${consoleGoalMs} ms on every page`,
      goalMet: missed.length === 0,
      slowest: slowest.name,
      missed,
      pages: summary,
      volumes: r.counts,
      planned: { events: r.plan.events, agents: r.plan.agents, sagas: r.plan.sagas, deadLetters: r.plan.deadLetters, requestsPerPage: r.plan.requests, warmup: r.plan.warmup, timeoutMs: r.plan.timeoutMs },
      seedSeconds: round(r.seedSeconds, 1),
      keyset: r.keyset,
      note: 'services/console as its own process on a seeded database; sequential GETs with a viewer session (fetch, keep-alive), timed to the last byte of the body; the baseline replays, on the bench’s own pg connections, the statements the console sent for that request (BEGIN READ ONLY, SET LOCAL ROLE, the reads, COMMIT), captured by a wire proxy in a first pass',
    },
  };
  return entries;
};
