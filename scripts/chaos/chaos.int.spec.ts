import { runChaos } from './chaosRun';
import { differencesIn, renderReport } from './report';

// Every service starts several times, the broker is killed and restarted, Postgres restarted, and
// catch-up is waited for: minutes on a loaded machine.
jest.setTimeout(1_200_000);

describe('the short chaos profile (real processes, a real broker kill and Postgres restart)', () => {
  it('ends with every event once in the event store, read models equal to a replay, sagas ended, the audit trail whole, no false suspicion', async () => {
    const report = await runChaos({ events: 2000, minutes: 1.5, killsPerService: 1, brokerRestarts: 1, postgresRestarts: 1, seed: 12, keep: false, catchUpMinutes: 12 });
    const rendered = renderReport(report);

    expect(report.services.map((s) => [s.service, s.kills])).toEqual([
      ['projector', 1],
      ['saga-orchestrator', 1],
      ['presence-monitor', 1],
      ['audit-sink', 1],
    ]);
    expect(report.outages.map((o) => o.kind).sort()).toEqual(['broker', 'postgres']);
    expect(report.workload.published).toBe(2000);
    const numbers = Object.fromEntries(report.checks.flatMap((c) => c.numbers.map(([label, value]) => [`${c.name}: ${label}`, value])));
    expect(numbers['event store: every published event exactly once: distinct event ids']).toBeGreaterThan(2000);
    expect(numbers['sagas: all terminal, each command once: requested']).toBe(10);
    expect([differencesIn(report), rendered]).toEqual([0, expect.stringContaining('result    no differences')]);
  });
});
