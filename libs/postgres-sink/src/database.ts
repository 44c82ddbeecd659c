import knexFactory, { type Knex } from 'knex';
import { AgentbusError, ErrorCodes, isAgentbusError } from '@agentbus/events';
import { createLogger, redactUrl, type Logger } from '@agentbus/logger';

export class DatabaseUnavailableError extends AgentbusError {
  constructor(url: string, reason: string, cause?: unknown) {
    super(ErrorCodes.databaseUnavailable, `Postgres at ${redactUrl(url)} is unavailable: ${reason}`, { retriable: true, cause, context: { reason } });
    this.name = 'DatabaseUnavailableError';
  }
}

// SQLSTATE classes that mean "the server or the connection", not "this data":
// 08 connection exception, 57P01..57P03 shutdown/cannot connect now, 53 insufficient resources,
// 40001/40P01 serialization failure and deadlock (safe to retry the whole transaction).
// https://www.postgresql.org/docs/current/errcodes-appendix.html
const retriableSqlState = (code: string): boolean => code.startsWith('08') || code.startsWith('53') || ['57P01', '57P02', '57P03', '40001', '40P01'].includes(code);
const retriableNodeCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);

export const isRetriableDatabaseError = (error: unknown): boolean => {
  if (isAgentbusError(error)) return error.retriable;
  const e = error as { code?: unknown; message?: unknown };
  const code = typeof e?.code === 'string' ? e.code : '';
  if (retriableNodeCodes.has(code) || (code.length === 5 && retriableSqlState(code))) return true;
  return /Connection terminated|connection timeout|Timeout acquiring a connection|terminating connection|server closed the connection|Client has encountered a connection error|not queryable/i.test(String(e?.message ?? ''));
};

// SQLSTATEs that mean "the database refuses this service", not "this data": a missing grant, table
// or schema, a read-only server (a standby after a failover), a login refused. Every record would
// be refused alike, so a consumer waits for the operator rather than dead-lettering the stream.
const setupSqlStates = new Set(['42501', '42P01', '3F000', '25006', '28000', '28P01', '3D000']);

/** The database refuses the service itself (see setupSqlStates): retried until an operator fixes it, never blamed on the records. */
export const isDatabaseSetupError = (error: unknown): boolean => {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && setupSqlStates.has(code);
};

export const mapDatabaseError = (error: unknown, url: string): unknown =>
  !isAgentbusError(error) && isRetriableDatabaseError(error) ? new DatabaseUnavailableError(url, (error as Error).message, error) : error;

export interface DatabaseSettings {
  url: string;
  poolMax?: number;
  applicationName?: string;
  /** Where knex's own warnings go (a pooled connection the server closed, deprecations); JSON on stderr without one. */
  logger?: Logger;
}

const asText = (message: unknown): string => (message instanceof Error ? message.message : typeof message === 'string' ? message : JSON.stringify(message));

/**
 * knex prints its warnings with console.log, as plain text on stdout, e.g. "Connection Error:
 * Connection ended unexpectedly" for each pooled connection a Postgres restart closed; a service's
 * stdout is its JSON log, so they go through pino instead.
 */
const knexLog = (logger: Logger): Knex.Config['log'] => {
  const log = logger.child({ component: 'knex' });
  return {
    warn: (message: unknown) => log.warn(asText(message)),
    error: (message: unknown) => log.error(asText(message)),
    deprecate: (message: unknown) => log.warn(asText(message)),
    debug: (message: unknown) => log.debug(asText(message)),
  };
};

/** One knex per process; every statement it builds is parameterised. */
export const createDatabase = (settings: DatabaseSettings): Knex =>
  knexFactory({
    client: 'pg',
    connection: { connectionString: settings.url, application_name: settings.applicationName ?? 'agentbus', connectionTimeoutMillis: 5000 },
    pool: { min: 0, max: settings.poolMax ?? 5, idleTimeoutMillis: 10_000 },
    acquireConnectionTimeout: 10_000,
    log: knexLog(settings.logger ?? createLogger({ name: settings.applicationName ?? 'agentbus', pretty: false, destination: process.stderr })),
  });

/** Schema and table names are identifiers, which SQL cannot bind; only these shapes are accepted. */
export const assertIdentifier = (name: string): string => {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new AgentbusError('INVALID_IDENTIFIER', `"${name}" is not a valid lower-case SQL identifier`);
  return name;
};

/** Proves Postgres accepts a connection and answers `select 1`, or fails with the mapped error (DatabaseUnavailableError when retriable). */
export const assertDatabaseReachable = async (url: string): Promise<void> => {
  const db = createDatabase({ url, poolMax: 1, applicationName: 'agentbus-startup-check' });
  try {
    await db.raw('select 1');
  } catch (error) {
    throw mapDatabaseError(error, url);
  } finally {
    await db.destroy();
  }
};

/** One step of a schema's history, applied once, in name order. */
export interface SchemaMigration {
  name: string;
  up(knex: Knex): Promise<void>;
}

/**
 * Creates `schema` if needed and applies its migrations not applied yet, tracking them in the
 * schema's own `knex_migrations` table; returns the names applied now. Migrations only go forward.
 */
export const runMigrations = async (db: Knex, schema: string, migrations: readonly SchemaMigration[]): Promise<string[]> => {
  await db.raw('create schema if not exists ??', [schema]);
  const [, done] = await db.migrate.latest({
    schemaName: schema,
    tableName: 'knex_migrations',
    migrationSource: {
      getMigrations: async () => [...migrations],
      getMigrationName: (m: SchemaMigration) => m.name,
      getMigration: async (m: SchemaMigration) => ({ up: (knex: Knex) => m.up(knex), down: async () => undefined }),
    },
  });
  return done as string[];
};
