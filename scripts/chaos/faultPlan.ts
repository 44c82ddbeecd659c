// When each fault strikes: a pure plan from the profile and a seeded random source, so a run is
// reproduced by its seed.

export const chaosServices = ['projector', 'saga-orchestrator', 'presence-monitor', 'audit-sink'] as const;
export type ChaosService = (typeof chaosServices)[number];

export type Fault = { atMs: number; kind: 'kill'; service: ChaosService } | { atMs: number; kind: 'broker' } | { atMs: number; kind: 'postgres' };

export interface FaultCounts {
  killsPerService: number;
  brokerRestarts: number;
  postgresRestarts: number;
}

/**
 * Service kills fall anywhere in the window. Broker and Postgres restarts take turns, one per
 * equal slot of the window and inside its middle half, so two outages never overlap and the
 * services work between them.
 */
export const planFaults = (counts: FaultCounts, windowMs: number, random: () => number): Fault[] => {
  const kills: Fault[] = chaosServices.flatMap((service) => Array.from({ length: counts.killsPerService }, () => ({ atMs: Math.floor(random() * windowMs), kind: 'kill' as const, service })));
  const outages: ('broker' | 'postgres')[] = [];
  for (let i = 0; i < Math.max(counts.brokerRestarts, counts.postgresRestarts); i++) {
    if (i < counts.brokerRestarts) outages.push('broker');
    if (i < counts.postgresRestarts) outages.push('postgres');
  }
  const slot = windowMs / Math.max(1, outages.length);
  const infra: Fault[] = outages.map((kind, i) => ({ atMs: Math.floor(slot * i + slot * (0.25 + random() * 0.5)), kind }));
  return [...kills, ...infra].sort((a, b) => a.atMs - b.atMs);
};
