import { thrownBy } from '@agentbus/testing';
import { ChaosUsageError, parseChaosOptions } from './options';
import { differencesIn, renderReport, type ChaosReport } from './report';

describe('parseChaosOptions', () => {
  it('defaults to the full profile with a fresh seed', () => {
    expect(parseChaosOptions([], () => 99)).toEqual({ events: 100_000, minutes: 10, killsPerService: 20, brokerRestarts: 2, postgresRestarts: 2, seed: 99, catchUpMinutes: 10, keep: false });
  });

  it('takes every option', () => {
    const options = parseChaosOptions(['--events', '2000', '--minutes', '1.5', '--kills', '1', '--broker-restarts', '1', '--postgres-restarts', '0', '--seed', '7', '--keep'], () => 99);
    expect(options).toMatchObject({ events: 2000, minutes: 1.5, killsPerService: 1, brokerRestarts: 1, postgresRestarts: 0, seed: 7, keep: true });
  });

  it.each([
    [['--events', 'lots'], '--events: expected a number (got "lots")'],
    [['--kills=-1'], '--kills: expected at least 0 (got "-1")'],
    [['--kills', '2.5'], '--kills: expected a whole number (got "2.5")'],
    [['--minutes', '0'], '--minutes: expected more than 0 (got "0")'],
    [['--events', '10'], '--events: expected at least 100 (got "10")'],
  ])('rejects %j naming the option', (argv, message) => {
    expect(thrownBy(() => parseChaosOptions(argv, () => 1), ChaosUsageError).message).toBe(message);
  });

  it('rejects an unknown option', () => {
    expect(thrownBy(() => parseChaosOptions(['--kill', '3'], () => 1), ChaosUsageError).message).toMatch(/Unknown option '--kill'/);
  });
});

describe('renderReport', () => {
  const report: ChaosReport = {
    seed: 5,
    reproduce: 'npm run chaos -- --seed 5',
    profile: { events: 100, minutes: 1, killsPerService: 1, brokerRestarts: 1, postgresRestarts: 0 },
    prefix: 'chaos-x',
    database: 't_chaos_x',
    workload: { published: 100, batches: 2, retried: 1, sagas: 2, agentsAlive: 6, agentsSilent: 1, doneAtMs: 60_000 },
    services: [{ service: 'projector', kills: 1, starts: 3, selfExits: [{ atMs: 30_000, code: 1, lastLines: 'broker unreachable' }] }],
    outages: [{ kind: 'broker', atMs: 20_000, downMs: 15_500 }],
    lastFaultAtMs: 61_000,
    caughtUpAtMs: 71_500,
    totalMs: 90_000,
    checks: [
      { name: 'one', ok: true, numbers: [['rows', 3]], differences: [], differenceCount: 0 },
      { name: 'two', ok: false, numbers: [['missing', 12]], differences: ['a', 'b'], differenceCount: 12 },
    ],
  };

  it('prints the faults, the catch-up time and each check with its numbers and differences', () => {
    const text = renderReport(report);
    expect(text).toContain('projector          SIGKILLed 1 times, started 3 times, exited by itself 1 times: +30.0 s code 1 "broker unreachable"');
    expect(text).toContain('Kafka broker       SIGKILLed at +20.0 s, back after 15.5 s');
    expect(text).toContain('10.5 s after the last fault');
    expect(text).toContain('  ✔ one: rows 3');
    expect(text).toContain('  ✘ two: missing 12\n      - a\n      - b\n      … and 10 more');
    expect(text.split('\n').at(-1)).toBe('result    12 differences');
    expect(differencesIn(report)).toBe(12);
  });
});
