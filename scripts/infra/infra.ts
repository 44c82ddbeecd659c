import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaReady, scramCredentials, scramEndpoint, scramFile, scramProbe, startKafka, stopKafka } from './kafka';
import { postgresReady, startPostgres, stopPostgres } from './postgres';
import { processes } from './processNames';
import { registryReady, registryUrl, startRegistry, stopRegistry } from './registry';
import type { InfraSettings } from './settings';
import { readState, type PartName, type PartState } from './state';
import { isAlive } from './processes';

export interface PartReport {
  part: PartName;
  ready: boolean;
  state?: PartState;
  seconds?: number;
  /** Why a part that answers is still not ready. */
  problem?: string;
}

const starters: Record<PartName, (s: InfraSettings) => Promise<PartState>> = {
  postgres: startPostgres,
  kafka: startKafka,
  registry: startRegistry,
};

/** Starts what is not running, in dependency order, and waits until each part is ready. */
export const up = async (s: InfraSettings, parts: readonly PartName[] = processes, onReady?: (r: PartReport) => void): Promise<PartReport[]> => {
  const reports: PartReport[] = [];
  for (const part of processes.filter((p) => parts.includes(p))) {
    const started = Date.now();
    const state = await starters[part](s);
    const report = { part, ready: true, state, seconds: (Date.now() - started) / 1000 };
    onReady?.(report);
    reports.push(report);
  }
  return reports;
};

/** Stops only what `up` started, newest first. */
export const down = async (s: InfraSettings): Promise<PartName[]> => {
  const stopped: PartName[] = [];
  if (await stopRegistry(s)) stopped.push('registry');
  if (await stopKafka(s)) stopped.push('kafka');
  if (await stopPostgres(s)) stopped.push('postgres');
  return stopped;
};

export const status = async (s: InfraSettings): Promise<PartReport[]> => {
  const state = readState(s.stateDir);
  const problems: Partial<Record<PartName, string>> = {};
  const ready: Record<PartName, () => Promise<boolean>> = {
    postgres: () => postgresReady(s),
    kafka: async () => {
      if (!(await kafkaReady([`127.0.0.1:${s.ports.AGENTBUS_KAFKA_PORT}`]))) return false;
      const credentials = scramCredentials(s);
      const probe = credentials ? await scramProbe(credentials) : `no ${scramFile(s)}`;
      if (probe === 'ok') return true;
      problems.kafka = `SASL/SCRAM login on ${scramEndpoint(s)} fails (${probe}): run npm run infra -- up`;
      return false;
    },
    registry: () => registryReady(registryUrl(s)),
  };
  return Promise.all(
    processes.map(async (part) => {
      const partState = state[part];
      const alive = partState?.pid === undefined || isAlive(partState.pid);
      const isReady = alive && (await ready[part]().catch(() => false));
      return { part, ready: isReady, ...(partState ? { state: partState } : {}), ...(problems[part] ? { problem: problems[part] } : {}) };
    }),
  );
};

export const logTail = (s: InfraSettings, part: PartName, lines: number): string => {
  const file = join(s.stateDir, 'logs', `${part}.log`);
  if (!existsSync(file)) return `(no log for ${part} at ${file})`;
  return readFileSync(file, 'utf8').split('\n').slice(-lines - 1).join('\n');
};
