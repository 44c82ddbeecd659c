import { Writable } from 'node:stream';
import type { Knex } from 'knex';
import { createLogger } from '@agentbus/logger';
import { createDatabase, isDatabaseSetupError, isRetriableDatabaseError } from './database';

/** knex's internal logger, the one its pool and dialects write to. */
const knexLogger = (db: Knex) => (db.client as unknown as { logger: { warn(m: unknown): void; error(m: unknown): void; debug(m: unknown): void; deprecate(method: string, alternative: string): void } }).logger;

describe('createDatabase', () => {
  it("sends knex's own warnings through the service's pino logger as JSON, never as plain text on stdout", async () => {
    const lines: string[] = [];
    const destination = new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(...chunk.toString().split('\n').filter(Boolean)), done()) });
    const stdout = jest.spyOn(process.stdout, 'write');
    const consoleLog = jest.spyOn(console, 'log');
    // Port 1: nothing listens, and nothing here connects (the pool starts empty).
    const db = createDatabase({ url: 'postgres://agentbus@127.0.0.1:1/none', logger: createLogger({ name: 'projector', level: 'debug', destination }) });
    try {
      knexLogger(db).warn('Connection Error: Error: Connection terminated unexpectedly');
      knexLogger(db).error(new Error('pool exploded'));
      knexLogger(db).deprecate('oldMethod', 'newMethod');
      knexLogger(db).debug({ sql: 'select 1' });
    } finally {
      stdout.mockRestore();
      consoleLog.mockRestore();
      await db.destroy();
    }
    expect(consoleLog).not.toHaveBeenCalled();
    expect(stdout).not.toHaveBeenCalled();
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      expect.objectContaining({ service: 'projector', component: 'knex', level: 'warn', msg: 'Connection Error: Error: Connection terminated unexpectedly' }),
      expect.objectContaining({ component: 'knex', level: 'error', msg: 'pool exploded' }),
      expect.objectContaining({ component: 'knex', level: 'warn', msg: 'oldMethod is deprecated, please use newMethod' }),
      expect.objectContaining({ component: 'knex', level: 'debug', msg: '{"sql":"select 1"}' }),
    ]);
  });
});

describe('database error classes', () => {
  it.each([
    ['42501', 'permission denied for table records'],
    ['42P01', 'relation "audit.records" does not exist'],
    ['25006', 'cannot execute INSERT in a read-only transaction'],
  ])('%s (%s) refuses the service, not the data', (code, message) => {
    const error = Object.assign(new Error(message), { code });
    expect(isDatabaseSetupError(error)).toBe(true);
    expect(isRetriableDatabaseError(error)).toBe(false);
  });

  it.each([
    ['23505', 'duplicate key value'],
    ['22P02', 'invalid input syntax for type uuid'],
    [undefined, 'Cannot read properties of undefined'],
  ])('%s (%s) is about the data', (code, message) => {
    expect(isDatabaseSetupError(Object.assign(new Error(message), { code }))).toBe(false);
  });
});
