import type { CheckResult } from './checks';
import type { ChaosService } from './faultPlan';

export interface ServiceFaults {
  service: ChaosService;
  kills: number;
  starts: number;
  /** Exits the run did not cause (a service that gave up during an outage), each restarted. */
  selfExits: { atMs: number; code: number | null; lastLines: string }[];
}

export interface OutageReport {
  kind: 'broker' | 'postgres';
  atMs: number;
  downMs: number;
}

export interface ChaosReport {
  seed: number;
  reproduce: string;
  profile: { events: number; minutes: number; killsPerService: number; brokerRestarts: number; postgresRestarts: number };
  prefix: string;
  database: string;
  workload: { published: number; batches: number; retried: number; sagas: number; agentsAlive: number; agentsSilent: number; doneAtMs: number };
  services: ServiceFaults[];
  outages: OutageReport[];
  lastFaultAtMs: number;
  caughtUpAtMs: number;
  totalMs: number;
  checks: CheckResult[];
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const at = (ms: number) => `+${(ms / 1000).toFixed(1)} s`;

export const differencesIn = (report: Pick<ChaosReport, 'checks'>): number => report.checks.reduce((n, c) => n + c.differenceCount, 0);

export const renderReport = (r: ChaosReport): string => {
  const lines = [
    `agentbus chaos run, seed ${r.seed} (reproduce: ${r.reproduce})`,
    `profile   ${r.profile.events} workload events over ${r.profile.minutes} min; ${r.profile.killsPerService} SIGKILLs per service, ${r.profile.brokerRestarts} broker kills, ${r.profile.postgresRestarts} Postgres restarts`,
    `run       topic prefix ${r.prefix}, database ${r.database}, ${s(r.totalMs)} in all`,
    `workload  ${r.workload.published} events published in ${r.workload.batches} batches (${r.workload.retried} batches sent again after a failure), done at ${at(r.workload.doneAtMs)}; ${r.workload.sagas} order sagas; ${r.workload.agentsAlive} agents alive throughout, ${r.workload.agentsSilent} gone silent`,
    'faults injected',
    ...r.services.map(
      (f) =>
        `  ${f.service.padEnd(18)} SIGKILLed ${f.kills} times, started ${f.starts} times, exited by itself ${f.selfExits.length} times${f.selfExits.length ? `: ${f.selfExits.map((e) => `${at(e.atMs)} code ${e.code} "${e.lastLines.slice(0, 160)}"`).join('; ')}` : ''}`,
    ),
    ...r.outages.map((o) => `  ${(o.kind === 'broker' ? 'Kafka broker' : 'Postgres').padEnd(18)} ${o.kind === 'broker' ? 'SIGKILLed' : 'restarted'} at ${at(o.atMs)}, back after ${s(o.downMs)}`),
    `catch-up  last fault at ${at(r.lastFaultAtMs)}, every consumer at the end offsets and every saga ended at ${at(r.caughtUpAtMs)}: ${s(r.caughtUpAtMs - r.lastFaultAtMs)} after the last fault`,
    'checks',
  ];
  for (const c of r.checks) {
    lines.push(`  ${c.ok ? '✔' : '✘'} ${c.name}: ${c.numbers.map(([label, value]) => `${label} ${value}`).join(', ')}`);
    for (const d of c.differences) lines.push(`      - ${d}`);
    if (c.differenceCount > c.differences.length) lines.push(`      … and ${c.differenceCount - c.differences.length} more`);
  }
  const differences = differencesIn(r);
  lines.push(differences === 0 ? 'result    no differences' : `result    ${differences} difference${differences === 1 ? '' : 's'}`);
  return lines.join('\n');
};
