import { defineProjection, type TableDefinition } from '../projection';
import { upsert, type Row } from '../rowChange';
import { ProjectionAssertionError, ProjectionSpecification } from './projectionSpecification';
import { testEvent, testEventTime } from './testEvent';

const counters: TableDefinition = { name: 'counters', key: ['task_id'], columns: { task_id: 'text', label: 'text', seen_at: 'timestamptz' } };
const projectionWriting = (set: (at: number) => Row, key: (taskId: string) => Row = (taskId) => ({ task_id: taskId })) =>
  defineProjection({ name: 'counters', tables: [counters], handles: ['task.created'], project: (event) => [upsert('counters', key(event.payload.taskId), set(event.timestamp))] });

const counterProjection = projectionWriting((at) => ({ label: 'created', seen_at: at }));
const created = (taskId: string, at = testEventTime) => testEvent('task.created', { taskId, description: 'd', priority: 'normal' }, { at });
const spec = ProjectionSpecification.for(counterProjection);

describe('ProjectionSpecification', () => {
  it('passes when the table holds exactly the expected rows, in any order', () => {
    spec
      .given([created('t1')])
      .when(created('t2', 5))
      .then({
        table: 'counters',
        rows: [
          { task_id: 't2', label: 'created', seen_at: 5 },
          { task_id: 't1', label: 'created', seen_at: testEventTime },
        ],
      });
  });

  it('works without given events', () => spec.when(created('t1')).thenRow('counters', { task_id: 't1' }, { label: 'created' }));

  it('fails with both tables shown when a row differs or one is missing', () => {
    expect(() => spec.when(created('t1')).then({ table: 'counters', rows: [{ task_id: 't1', label: 'other', seen_at: testEventTime }] })).toThrow(
      /expected counters to hold[\s\S]*"other"[\s\S]*but it holds[\s\S]*"created"/,
    );
    expect(() => spec.when(created('t1')).then({ table: 'counters', rows: [] })).toThrow(ProjectionAssertionError);
  });

  it('fails naming the column when thenRow does not match', () => {
    expect(() => spec.when(created('t1')).thenRow('counters', { task_id: 't1' }, { label: 'other' })).toThrow(/label: expected "other", got "created"/);
  });

  it('fails when the expected row does not exist, or names a table or column the projection does not declare', () => {
    expect(() => spec.when(created('t1')).thenRow('counters', { task_id: 't9' }, {})).toThrow(/no counters row/);
    expect(() => spec.when(created('t1')).thenRow('tasks', { task_id: 't1' }, {})).toThrow(/declares no table tasks/);
    expect(() => spec.when(created('t1')).thenRow('counters', { task_id: 't1' }, { colour: 'red' })).toThrow(/no column colour/);
  });

  it('fails when the when events change the tables and nothing was expected to change', () => {
    expect(() => spec.given([created('t1')]).when(created('t2')).thenNothingChanged()).toThrow(/expected no change/);
  });

  it('rejects changes to undeclared columns or by the wrong key', () => {
    expect(() => ProjectionSpecification.for(projectionWriting(() => ({ colour: 'red' }))).when(created('t1'))).toThrow(/counters has no column colour/);
    expect(() => ProjectionSpecification.for(projectionWriting(() => ({}), (taskId) => ({ label: taskId }))).when(created('t1'))).toThrow(/keyed by task_id, not label/);
    expect(() => ProjectionSpecification.for(projectionWriting(() => ({ task_id: 'x' }))).when(created('t1'))).toThrow(/key column task_id is set/);
  });
});

describe('testEvent', () => {
  it('builds the same event from the same input, and different ids for different events', () => {
    expect(created('t1')).toEqual(created('t1'));
    expect(created('t1').id).not.toBe(created('t2').id);
    expect(created('t1').id).not.toBe(created('t1', testEventTime + 1).id);
  });

  it('builds a full envelope whose correlation defaults to its own id', () => {
    expect(testEvent('agent.paused', { agentId: 'a' }, { at: 42, id: 'E1' })).toEqual({
      id: 'E1',
      type: 'agent.paused',
      source: 'did:agent:test',
      timestamp: 42,
      routingKey: 'agent.paused',
      payload: { agentId: 'a' },
      metadata: { correlationId: 'E1', version: '1' },
    });
    expect(testEvent('agent.paused', { agentId: 'a' }, { correlationId: 'wf', causationId: 'c' }).metadata).toEqual({ correlationId: 'wf', causationId: 'c', version: '1' });
  });
});
