import { checkAuditTrail, checkEventStore, checkPresence, checkReadModels, checkSagas, type SagaFacts } from './checks';
import { seededRandom } from '../seededRandom';
import { planFaults } from './faultPlan';

const numbers = (r: { numbers: [string, number][] }) => Object.fromEntries(r.numbers);
const record = (eventId: string, offset: number) => ({ topic: 'p.task', partition: 0, offset: String(offset), eventId });

describe('checkEventStore', () => {
  it('passes when each distinct event is stored once, however often the wire redelivered it', () => {
    const r = checkEventStore([record('a', 0), record('b', 1), record('a', 2)], ['b', 'a']);
    expect(r.ok).toBe(true);
    expect(numbers(r)).toMatchObject({ 'records on Kafka': 3, 'distinct event ids': 2, missing: 0 });
  });

  it('names a lost event, an invented one and a doubled one', () => {
    const r = checkEventStore([record('a', 0), record('b', 1)], ['a', 'a', 'z']);
    expect(r.ok).toBe(false);
    expect(numbers(r)).toMatchObject({ missing: 1, 'not on Kafka': 1, 'stored more than once': 1 });
    expect(r.differences).toEqual(['missing b (p.task/0@1)', 'stored but never published: z', 'stored 2 times: a']);
  });
});

describe('checkReadModels', () => {
  const row = (id: string, status: string) => ({ [`[["task_id","${id}"]]`]: { task_id: id, status } });

  it('passes on equal tables', () => {
    const r = checkReadModels({ tasks: { ...row('t1', 'done') } }, { tasks: { ...row('t1', 'done') } });
    expect(r.ok).toBe(true);
    expect(numbers(r)).toMatchObject({ tables: 1, 'rows compared': 1 });
  });

  it('reports a missing, an extra and a different row with the differing column', () => {
    const r = checkReadModels({ tasks: { ...row('t1', 'failed'), ...row('t3', 'done') } }, { tasks: { ...row('t1', 'done'), ...row('t2', 'done') } });
    expect(numbers(r)).toMatchObject({ missing: 1, extra: 1, different: 1 });
    expect(r.differences).toContain('tasks [["task_id","t1"]]: status live="failed" replay="done"');
    expect(r.ok).toBe(false);
  });
});

describe('checkSagas', () => {
  const dispatch = (sagaId: string, stepId: string, commandId: string, phase = 'forward', attempt = 1) => ({ sagaId, stepId, phase, attempt, commandId });
  const base = (): SagaFacts => ({
    requested: [
      { sagaId: 's1', orderId: 'o1', declined: false },
      { sagaId: 's2', orderId: 'o2', declined: true },
    ],
    status: new Map([['s1', 'completed'], ['s2', 'failed']]),
    readStatus: new Map([['s1', 'completed'], ['s2', 'failed']]),
    dispatched: [dispatch('s1', 'create-order', 'c1'), dispatch('s1', 'reserve-inventory', 'c2'), dispatch('s1', 'process-payment', 'c3'), dispatch('s1', 'complete-order', 'c4'), dispatch('s2', 'create-order', 'c5')],
    journal: [
      { eventId: 'c1', orderId: 'o1', op: 'create' },
      { eventId: 'c2', orderId: 'o1', op: 'reserve' },
      { eventId: 'c3', orderId: 'o1', op: 'charge' },
      { eventId: 'c3b', orderId: 'o1', op: 'complete' },
      { eventId: 'c5', orderId: 'o2', op: 'create' },
    ].map((j) => (j.eventId === 'c3b' ? { ...j, eventId: 'c4' } : j)),
  });

  it('passes when every saga ended and its journal fits', () => {
    const r = checkSagas(base());
    expect(r.differences).toEqual([]);
    expect(numbers(r)).toMatchObject({ requested: 2, completed: 1, failed: 1, 'of them declined on purpose': 1, 'commands issued': 5 });
  });

  it('fails on a running saga, a step issued twice, an unknown run, a completed saga never charged and a declined one completed', () => {
    const facts = base();
    const r = checkSagas({
      ...facts,
      requested: [...facts.requested, { sagaId: 's3', orderId: 'o3', declined: false }],
      status: new Map([['s1', 'completed'], ['s2', 'completed'], ['s3', 'running']]),
      readStatus: new Map([['s1', 'completed'], ['s2', 'completed'], ['s3', 'running']]),
      dispatched: [...facts.dispatched, dispatch('s1', 'create-order', 'c1-again')],
      journal: [...facts.journal.filter((j) => j.op !== 'charge'), { eventId: 'ghost', orderId: 'o2', op: 'refund' }],
    });
    expect(r.ok).toBe(false);
    expect(r.differences).toEqual([
      'saga s2 completed although its payment is declined',
      'saga s3 is running, not terminal',
      's1 create-order forward attempt 1 was issued as 2 different commands',
      'order agents ran refund for o2 on ghost, a command no saga issued',
      'saga s1 completed, but its order never ran charge',
      'saga s2 completed, but its order never ran reserve, charge, complete and was undone (refund)',
    ]);
  });

  it('fails when the read model disagrees with the orchestrator', () => {
    const r = checkSagas({ ...base(), readStatus: new Map([['s1', 'running'], ['s2', 'failed']]) });
    expect(r.differences).toEqual(['saga s1: read.sagas says running, the orchestrator completed']);
  });
});

describe('checkAuditTrail', () => {
  const range = { topic: 'p.task', partition: 0, low: 0n, high: 3n };
  const stored = { topic: 'p.task', partition: 0, rows: 3, distinctOffsets: 3, minOffset: 0n, maxOffset: 2n };

  it('passes when each offset is stored once and the chain verifies', () => {
    const r = checkAuditTrail([range], [stored], { partitions: 1, verified: 3, problems: [] });
    expect(r.differences).toEqual([]);
    expect(numbers(r)).toMatchObject({ 'records on Kafka': 3, 'rows in the audit trail': 3, 'rows verified': 3 });
  });

  it('fails on a lost record, a doubled one and a broken chain', () => {
    const r = checkAuditTrail(
      [range, { topic: 'p.agent', partition: 1, low: 0n, high: 2n }],
      [{ ...stored, rows: 3, distinctOffsets: 2, maxOffset: 1n }],
      { partitions: 1, verified: 1, problems: ['MODIFIED: p.task partition 0, position 1'] },
    );
    expect(r.ok).toBe(false);
    expect(numbers(r)).toMatchObject({ missing: 3, 'stored more than once': 1, 'broken chains': 1 });
    expect(r.differences).toEqual([
      'p.task/0: 1 records stored more than once',
      'p.task/0: Kafka holds offsets 0..2 (3), the audit trail 2 distinct offsets 0..1',
      'p.agent/1: Kafka holds offsets 0..1 (2), the audit trail 0 distinct offsets -..-',
      '1 of 3 rows verified in their chains',
      'chain broken: MODIFIED: p.task partition 0, position 1',
    ]);
  });
});

describe('checkPresence', () => {
  it('passes when only the silent agent was suspected, once', () => {
    expect(checkPresence({ alive: ['a', 'b'], silent: ['s'], suspected: ['s'] }).ok).toBe(true);
  });

  it('fails on a suspected live agent and on a silent agent never suspected', () => {
    const r = checkPresence({ alive: ['a', 'b'], silent: ['s'], suspected: ['b'] });
    expect(r.differences).toEqual(['b stayed alive but was suspected of failure', 's went silent and was suspected 0 times, not once']);
  });
});

describe('planFaults', () => {
  const counts = { killsPerService: 20, brokerRestarts: 2, postgresRestarts: 2 };

  it('plans every fault inside the window, in time order, the same for the same seed', () => {
    const plan = planFaults(counts, 600_000, seededRandom(42));
    expect(plan).toEqual(planFaults(counts, 600_000, seededRandom(42)));
    expect(plan).not.toEqual(planFaults(counts, 600_000, seededRandom(43)));
    expect(plan.filter((f) => f.kind === 'kill')).toHaveLength(80);
    expect(plan.map((f) => f.atMs)).toEqual([...plan.map((f) => f.atMs)].sort((a, b) => a - b));
    expect(plan.every((f) => f.atMs >= 0 && f.atMs < 600_000)).toBe(true);
  });

  it('alternates broker and Postgres outages, one per slot, never two in one quarter of the window', () => {
    const outages = planFaults(counts, 400_000, seededRandom(7)).filter((f) => f.kind !== 'kill');
    expect(outages.map((f) => f.kind)).toEqual(['broker', 'postgres', 'broker', 'postgres']);
    outages.forEach((f, i) => expect(Math.floor(f.atMs / 100_000)).toBe(i));
  });
});
