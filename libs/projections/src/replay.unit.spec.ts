import { eventTypeCategories, eventTypes } from '@agentbus/events';
import { allProjections } from './allProjections';
import { applyChanges, emptyTables } from './inMemoryTables';
import { defineProjection } from './projection';
import { projectAll, replay } from './replay';
import { stableKey, upsert } from './rowChange';
import { taskProjection } from './taskProjection';
import { testEvent, testEventTime } from './testing/testEvent';
import { trustProjection } from './trustProjection';

const at = (seconds: number) => testEventTime + seconds * 1000;
const history = [
  testEvent('task.created', { taskId: 't1', description: 'd', priority: 'normal' }, { at: at(0) }),
  testEvent('agent.online', { agentId: 'a1', capabilities: ['c'], capacity: 1, specializations: [], heartbeatIntervalMs: 1000 }, { at: at(1) }),
  testEvent('task.assigned', { taskId: 't1', agentId: 'a1', assignedBy: 'o', description: 'd', attempt: 1 }, { at: at(2) }),
  testEvent('memory.updated', { agentId: 'a1', key: 'k', value: '1' }, { at: at(3) }),
  testEvent('score.updated', { agentId: 'a1', score: 1 }, { at: at(4) }),
  testEvent('score.updated', { agentId: 'a1', score: 0.9, previousScore: 1 }, { at: at(5) }),
  testEvent('action.proposed', { actionId: 'x1', proposedBy: 'a1', action: 'act', arguments: '[]', risk: 'low' }, { at: at(6) }),
  testEvent('task.completed', { taskId: 't1', result: { status: 'success', output: '{}' } }, { at: at(7) }),
];

describe('projectAll', () => {
  it('gives each event to the projections that handle it, in event order', () => {
    expect(projectAll([taskProjection, trustProjection], history).map((change) => change.table)).toEqual([
      'tasks',
      'tasks',
      'trust_scores',
      'trust_score_history',
      'trust_scores',
      'trust_score_history',
      'tasks',
    ]);
  });

  it('does not call a projection for events outside its handles', () => {
    const project = jest.fn(() => [upsert('t', { id: 1 }, {})]);
    projectAll([{ name: 'narrow', tables: [], handles: ['task.created'], project }], history);
    expect(project).toHaveBeenCalledTimes(1);
  });
});

describe('replay', () => {
  it('equals applying every change one by one, and lists every declared table', () => {
    const definitions = allProjections.flatMap((projection) => projection.tables);
    expect(replay(allProjections, history)).toEqual(applyChanges(emptyTables(definitions), projectAll(allProjections, history), definitions));
    expect(Object.keys(replay(allProjections, []))).toEqual(['tasks', 'agents', 'decisions', 'trust_scores', 'trust_score_history', 'violations', 'sagas', 'saga_timeline']);
  });

  it('rebuilds state at a point in time from the events up to it', () => {
    const tables = replay(allProjections, history.filter((event) => event.timestamp <= at(2)));
    expect(tables['tasks']?.[stableKey({ task_id: 't1' })]).toMatchObject({ status: 'assigned', assignee: 'a1' });
    expect(tables['trust_score_history']).toEqual({});
  });
});

describe('allProjections', () => {
  it('declares each table once, under one projection', () => {
    const names = allProjections.flatMap((projection) => projection.tables.map((table) => table.name));
    expect(new Set(names).size).toBe(names.length);
  });

  it('keys every table by columns it declares', () => {
    for (const table of allProjections.flatMap((projection) => projection.tables)) {
      expect(table.key.filter((column) => !(column in table.columns))).toEqual([]);
    }
  });

  it('handles only known event types, each in one projection', () => {
    const handled = allProjections.flatMap((projection) => projection.handles);
    expect(handled.filter((type) => !eventTypes.includes(type))).toEqual([]);
    expect(new Set(handled).size).toBe(handled.length);
    expect(handled.filter((type) => !['task', 'agent', 'decision', 'trust', 'saga'].includes(eventTypeCategories[type]))).toEqual([]);
  });

  it('gives no changes for an event type a projection does not handle', () => {
    const onlyCreated = defineProjection({ name: 'p', tables: [], handles: ['task.created'], project: () => [upsert('t', { id: 1 }, {})] });
    expect(onlyCreated.project(history[1]!)).toEqual([]);
  });
});
