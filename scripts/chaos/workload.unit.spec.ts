import { caughtUp, lagOf } from './catchUp';
import { buildWorkload } from './workload';

describe('buildWorkload', () => {
  it('holds exactly the asked number of events, one saga per 200, a fifth of them declined', () => {
    const w = buildWorkload({ events: 2000, run: 'r', seed: 3, declineAbove: 1000 });
    expect(w.events).toHaveLength(2000);
    expect(w.sagas).toHaveLength(10);
    expect(w.sagas.filter((s) => s.declined)).toHaveLength(2);
    const requests = w.events.filter((e) => e.type === 'workflow.requested');
    expect(requests.map((e) => (e.payload as { sagaId: string }).sagaId)).toEqual(w.sagas.map((s) => s.sagaId));
    const amounts = requests.map((e) => JSON.parse((e.payload as { input: string }).input).amount as number);
    expect(w.sagas.map((s, i) => s.declined === amounts[i]! > 1000)).toEqual(w.sagas.map(() => true));
    expect(w.agents).toEqual(['r-agent-1', 'r-agent-2', 'r-agent-3']);
    expect(w.events.slice(0, 6).every((e) => e.type.startsWith('agent.'))).toBe(true);
  });
});

describe('lagOf', () => {
  const ranges = [
    { topic: 'p.task', partition: 0, low: 0n, high: 10n },
    { topic: 'p.task', partition: 1, low: 4n, high: 6n },
    { topic: 'p.dlq', partition: 0, low: 0n, high: 3n },
  ];

  it('counts what each partition of the consumer topics still holds past the stored position', () => {
    expect(lagOf(ranges, ['p.task'], new Map([['p.task/0', 7n]]))).toBe(3 + 2);
    expect(lagOf(ranges, ['p.task', 'p.dlq'], new Map([['p.task/0', 10n], ['p.task/1', 6n], ['p.dlq/0', 3n]]))).toBe(0);
  });

  it('is caught up only with no lag anywhere and an empty outbox', () => {
    const byService = { projector: 0, 'saga-orchestrator': 0, 'presence-monitor': 0, 'audit-sink': 0 };
    expect(caughtUp({ byService, outbox: 0 })).toBe(true);
    expect(caughtUp({ byService, outbox: 1 })).toBe(false);
    expect(caughtUp({ byService: { ...byService, 'audit-sink': 2 }, outbox: 0 })).toBe(false);
  });
});
