import { allProjections } from './allProjections';
import { applyChanges, emptyTables } from './inMemoryTables';
import { MutableTables } from './mutableTables';
import type { TableDefinition } from './projection';
import { projectAll } from './replay';
import { append, upsert, type RowChange } from './rowChange';
import { testEvent, testEventTime } from './testing/testEvent';

const items: TableDefinition = { name: 'items', key: ['id'], columns: { id: 'text', a: 'integer', b: 'integer', c: 'text' } };
const pairs: TableDefinition = { name: 'pairs', key: ['x', 'y'], columns: { x: 'text', y: 'integer', v: 'integer', w: 'text' } };
const log: TableDefinition = { name: 'log', key: ['event_id'], columns: { event_id: 'text', note: 'text', extra: 'text' } };
const definitions = [items, pairs, log];

/** A small seeded generator, so a failing sequence is reproduced by its seed. */
const random = (seed: number) => {
  let a = seed >>> 0;
  return (n: number) => {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    return a % n;
  };
};

const randomChanges = (seed: number, count: number): RowChange[] => {
  const pick = random(seed);
  const value = () => [null, undefined, pick(5), `s${pick(4)}`][pick(4)];
  const changes: RowChange[] = [];
  for (let i = 0; i < count; i++) {
    switch (pick(6)) {
      case 0:
        changes.push(upsert('items', { id: `i${pick(8)}` }, { a: value(), ...(pick(2) ? { b: value() } : {}) }));
        break;
      case 1:
        changes.push(upsert('items', { id: pick(3) }, { c: value() }));
        break;
      case 2:
        // The same key with its columns in either order is the same row.
        changes.push(upsert('pairs', pick(2) ? { x: `p${pick(3)}`, y: pick(3) } : { y: pick(3), x: `p${pick(3)}` }, { v: value(), ...(pick(2) ? { w: value() } : {}) }));
        break;
      case 3:
        changes.push(append('log', { event_id: `e${pick(10)}` }, { note: value(), ...(pick(2) ? { extra: value() } : {}) }));
        break;
      case 4:
        changes.push(append('items', { id: `i${pick(8)}` }, { a: value(), c: value() }));
        break;
      default:
        // A table without a definition: missing columns stand for null.
        changes.push(upsert('loose', { k: `k${pick(4)}`, j: pick(2) }, { z: value() }));
    }
  }
  return changes;
};

const mutableState = (changes: readonly RowChange[], defs: readonly TableDefinition[]) => {
  const tables = new MutableTables(defs);
  tables.applyAll(changes);
  return tables;
};

describe('MutableTables', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('ends in the state applyChanges gives for the same changes (seed %i)', (seed) => {
    const changes = randomChanges(seed, 400);
    expect(mutableState(changes, definitions).toInMemoryTables()).toEqual(applyChanges(emptyTables(definitions), changes, definitions));
  });

  it('gives the same state whether the changes come in one call or one by one, as applyChanges does per call', () => {
    const changes = randomChanges(11, 300);
    const stepwise = changes.reduce((state, change) => applyChanges(state, [change], definitions), emptyTables(definitions));
    expect(mutableState(changes, definitions).toInMemoryTables()).toEqual(stepwise);
  });

  it('counts rows once, however often they change', () => {
    const tables = mutableState([upsert('items', { id: 'x' }, { a: 1 }), upsert('items', { id: 'x' }, { b: 2 }), append('log', { event_id: 'e' }, {}), append('log', { event_id: 'e' }, { note: 'n' })], definitions);
    expect(tables.rowCount).toBe(2);
    expect([...tables.rows('items')]).toEqual([{ id: 'x', a: 1, b: 2, c: null }]);
    expect([...tables.rows('log')]).toEqual([{ event_id: 'e', note: null, extra: null }]);
  });

  it('keeps a number key and its text apart, as stableKey does', () => {
    const tables = mutableState([upsert('items', { id: 1 }, { a: 1 }), upsert('items', { id: '1' }, { a: 2 })], definitions);
    expect(tables.rowCount).toBe(2);
  });

  it('replays the projections to the state of applyChanges', () => {
    const at = (seconds: number) => testEventTime + seconds * 1000;
    const events = [
      testEvent('task.created', { taskId: 't1', description: 'd', priority: 'normal' }, { at: at(0) }),
      testEvent('agent.online', { agentId: 'a1', capabilities: ['c'], capacity: 1, specializations: [], heartbeatIntervalMs: 1000 }, { at: at(1) }),
      testEvent('task.assigned', { taskId: 't1', agentId: 'a1', assignedBy: 'o', description: 'd', attempt: 1 }, { at: at(2) }),
      testEvent('score.updated', { agentId: 'a1', score: 1 }, { at: at(3) }),
      testEvent('score.updated', { agentId: 'a1', score: 0.9, previousScore: 1 }, { at: at(4) }),
      testEvent('action.proposed', { actionId: 'x1', proposedBy: 'a1', action: 'act', arguments: '[]', risk: 'low' }, { at: at(5) }),
      testEvent('task.completed', { taskId: 't1', result: { status: 'success', output: '{}' } }, { at: at(6) }),
      testEvent('agent.offline', { agentId: 'a1', reason: 'shutdown' }, { at: at(7) }),
    ];
    const defs = allProjections.flatMap((p) => p.tables);
    const changes = projectAll(allProjections, events);
    expect(mutableState(changes, defs).toInMemoryTables()).toEqual(applyChanges(emptyTables(defs), changes, defs));
  });
});
