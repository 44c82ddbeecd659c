import { BacklogGate } from './backlogGate';

const assignment = { 'p.saga': [0, 2], 'p.task': [0, 2] };
const ends = new Map([
  ['p.saga/0', 10n],
  ['p.task/0', 5n],
  ['p.saga/2', 0n],
  ['p.task/2', 0n],
]);

describe('BacklogGate', () => {
  it('keeps every partition closed until the end offsets of its assignment are known', () => {
    const gate = new BacklogGate();
    gate.assign(assignment);
    expect(gate.isLive(0)).toBe(false);
    expect(gate.isLive(2)).toBe(false);
  });

  it('opens a partition once every topic of that number is read to where it ended at assignment', () => {
    const gate = new BacklogGate();
    const generation = gate.assign(assignment);
    gate.known(generation, ends, new Map([['p.saga/0', 10n]]));
    expect(gate.isLive(2)).toBe(true);
    expect(gate.isLive(0)).toBe(false);
    gate.consumed('p.task', 0, 4n);
    expect(gate.isLive(0)).toBe(false);
    gate.consumed('p.task', 0, 5n);
    expect(gate.isLive(0)).toBe(true);
  });

  it('counts batches read before the end offsets arrived', () => {
    const gate = new BacklogGate();
    const generation = gate.assign(assignment);
    gate.consumed('p.saga', 0, 12n);
    gate.consumed('p.task', 0, 5n);
    gate.known(generation, ends, new Map());
    expect(gate.isLive(0)).toBe(true);
  });

  it('never opens a partition it was not assigned, and ignores offsets of an earlier assignment', () => {
    const gate = new BacklogGate();
    const first = gate.assign(assignment);
    gate.assign({ 'p.saga': [1], 'p.task': [1] });
    gate.known(first, ends, new Map());
    expect(gate.isLive(0)).toBe(false);
    expect(gate.isLive(1)).toBe(false);
  });
});
