import { connectionSchema, parseConfig } from '@agentbus/config';
import { assertBrokerReachable } from '@agentbus/kafka';
import { Client } from 'pg';

/**
 * Integration tests talk to the real broker, registry and Postgres. When one is missing the run
 * fails here, once, with what to do; it never skips.
 */
export default async function globalSetup(): Promise<void> {
  const config = parseConfig(connectionSchema);
  const problems: string[] = [];
  await assertBrokerReachable(config.kafka, 15_000).catch((e: Error) => problems.push(e.message));
  await fetch(`${config.registry.url}/subjects`, { signal: AbortSignal.timeout(5000) })
    .then((r) => (r.ok ? undefined : problems.push(`schema registry at ${config.registry.url} answered HTTP ${r.status}`)))
    .catch((e: Error) => problems.push(`schema registry at ${config.registry.url} is unreachable: ${e.message}`));
  const pg = new Client({ connectionString: config.databaseUrl, connectionTimeoutMillis: 5000 });
  await pg
    .connect()
    .then(() => pg.query('select 1'))
    .catch((e: Error) => problems.push(`Postgres is unreachable: ${e.message}`))
    .finally(() => pg.end().catch(() => undefined));
  if (problems.length > 0) {
    throw new Error(`Integration tests need the real infrastructure (start it with: npm run infra -- up):\n  - ${problems.join('\n  - ')}`);
  }
}
