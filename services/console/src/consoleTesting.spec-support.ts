import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, createTestTopics, spawnService, type ServiceProcess, type TestDatabase, type TestTopics } from '@agentbus/testing';
import type { Knex } from 'knex';
import { userEntry } from './auth/users';
import { loadConsoleConfig } from './config';
import { startConsole, type RunningConsole } from './consoleServer';

export const passwords = { olga: 'operator-password-1', victor: 'viewer-password-1' } as const;

export const until = async (probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

export interface ConsoleStack {
  topics: TestTopics;
  database: TestDatabase;
  env: Record<string, string>;
  bus: KafkaEventBus;
  db: Knex;
  console: RunningConsole;
  url: string;
  spawn(main: string, ready: string, extra?: Record<string, string>): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

/** Real topics and database, the projector, presence monitor and audit sink as processes, and the console in this process. */
export const startConsoleStack = async (name: string, options: { presenceTimeoutMs?: number } = {}): Promise<ConsoleStack> => {
  const logger = createLogger({ name: `${name}-test`, level: process.env.LOG_LEVEL ?? 'fatal', pretty: false });
  const topics = await createTestTopics(name);
  const database = await createTestDatabase(name.replace(/-/g, '_'), parseConfig(connectionSchema).databaseUrl);
  const env: Record<string, string> = {
    AGENTBUS_TOPIC_PREFIX: topics.prefix,
    DATABASE_URL: database.url,
    PROJECTOR_HTTP_PORT: '0',
    PRESENCE_MONITOR_HTTP_PORT: '0',
    AUDIT_SINK_HTTP_PORT: '0',
    SAGA_ORCHESTRATOR_HTTP_PORT: '0',
    PRESENCE_TIMEOUT_MS: String(options.presenceTimeoutMs ?? 3000),
    LOG_LEVEL: 'info',
  };
  const bus = createKafkaEventBus({ connection: parseConfig(connectionSchema, { ...process.env, ...env }), service: `${name}-test`, logger });
  await bus.registerSchemas();
  const db = createDatabase({ url: database.url });
  const processes: ServiceProcess[] = [];
  const spawn = async (main: string, ready: string, extra: Record<string, string> = {}) => {
    const p = spawnService(main, { ...env, ...extra });
    processes.push(p);
    await until(async () => p.output().includes(ready), 90_000, `${main} to start; output: ${p.output().slice(-800)}`);
    return p;
  };
  await spawn('services/projector/src/main.ts', 'projector running');
  await spawn('services/presence-monitor/src/main.ts', 'presence monitor running');
  await spawn('services/audit-sink/src/main.ts', 'audit sink running');
  const consoleEnv = {
    ...process.env,
    ...env,
    CONSOLE_HTTP_PORT: '0',
    CONSOLE_USERS: [userEntry('olga', 'operator', passwords.olga), userEntry('victor', 'viewer', passwords.victor)].join(','),
    CONSOLE_SESSION_SECRET: 'a-test-secret-that-is-long-enough-0123456789',
    CONSOLE_LIVE_INTERVAL_MS: '300',
  };
  const running = await startConsole(loadConsoleConfig(consoleEnv), logger);
  return {
    topics,
    database,
    env,
    bus,
    db,
    console: running,
    url: `http://127.0.0.1:${running.port}`,
    spawn,
    stop: async () => {
      await running.stop().catch(() => undefined);
      for (const p of processes) await p.kill('SIGKILL');
      await bus.close();
      await db.destroy();
      await topics.cleanup();
      await database.drop();
    },
  };
};

/** Logs in and returns the session cookie. */
export const login = async (url: string, user: keyof typeof passwords): Promise<string> => {
  const res = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user, password: passwords[user] }) });
  if (res.status !== 200) throw new Error(`login as ${user}: ${res.status}`);
  return res.headers.get('set-cookie')!.split(';')[0]!;
};
