import { agentSnapshot } from './agentDirectory';
import { nextWakeup } from './sagaDecider';
import { compileSaga, defineSaga, SagaDefinitionError } from './sagaDefinition';
import { actionApproved, actionVetoed, SagaSpecification, sagaRequested, taskCompleted, taskFailed, timeIs } from './testing';

const task = (id: string, agentId: string, undo = true) => ({
  id,
  command: { kind: 'task' as const, assignee: { agentId }, description: id },
  ...(undo ? { compensation: { kind: 'task' as const, assignee: { agentId }, description: `undo ${id}` } } : {}),
  timeoutMs: 1000,
  retry: { maxAttempts: 1 },
});

const parallel = defineSaga({
  name: 'parallel',
  steps: [task('a', 'w1'), [task('b', 'w2'), task('c', 'w3')], task('d', 'w1')],
});

const approval = defineSaga({
  name: 'approval',
  steps: [
    task('reserve', 'w1'),
    { id: 'approve', command: { kind: 'approval', action: 'transfer_funds', arguments: ({ input }) => input, risk: 'high' }, timeoutMs: 60_000 },
    task('pay', 'w2'),
  ],
});

const custom = defineSaga({
  name: 'custom',
  steps: [
    {
      id: 'embed',
      command: {
        kind: 'event',
        type: 'document.processed',
        payload: ({ correlationKey }) => ({ documentId: correlationKey, agentId: 'orchestrator', contentType: 'text/plain', bytes: 1, summary: null }),
        completedBy: [{ type: 'embedding.generated', keyOf: (e) => (e.payload as { documentId: string }).documentId }],
      },
      timeoutMs: 1000,
    },
  ],
});

describe('parallel steps', () => {
  it('dispatches a parallel group together and moves on only when all of it completed', () => {
    const spec = SagaSpecification.for(parallel);
    spec
      .given(sagaRequested('parallel', {}))
      .when(taskCompleted('a'))
      .then(['saga.step.completed a #1', 'task.assigned b -> w2', 'saga.step.dispatched b #1', 'task.assigned c -> w3', 'saga.step.dispatched c #1']);
    spec.given(sagaRequested('parallel', {}), taskCompleted('a')).when(taskCompleted('c')).then(['saga.step.completed c #1']);
    spec
      .given(sagaRequested('parallel', {}), taskCompleted('a'), taskCompleted('c'))
      .when(taskCompleted('b'))
      .then(['saga.step.completed b #1', 'task.assigned d -> w1', 'saga.step.dispatched d #1']);
  });

  it('on a failure waits for the other running steps of its group, then undoes whatever completed, in reverse', () => {
    const spec = SagaSpecification.for(parallel);
    const failedB = [sagaRequested('parallel', {}), taskCompleted('a'), taskFailed('b', 'boom')];
    spec.given(sagaRequested('parallel', {}), taskCompleted('a')).when(taskFailed('b', 'boom')).then(['saga.step.failed b #1 final']);
    spec
      .given(...failedB)
      .when(taskCompleted('c'))
      .then(['saga.step.completed c #1', 'saga.compensating [c, a]', 'task.assigned undo c -> w3', 'saga.step.dispatched c (undo) #1']);
  });
});

describe('approval steps', () => {
  const spec = SagaSpecification.for(approval);
  const reserved = [sagaRequested('approval', { amount: 5000 }), taskCompleted('reserve')];

  it('propose the action with a deadline and wait', () => {
    const run = spec.given(sagaRequested('approval', { amount: 5000 })).when(taskCompleted('reserve')).then(['saga.step.completed reserve #1', 'action.proposed transfer_funds', 'saga.step.dispatched approve #1']);
    expect(run.events[1]!.payload).toMatchObject({ proposedBy: 'saga-orchestrator', risk: 'high', arguments: '{"amount":5000}', deadline: 1_000_000 + 60_000 });
  });

  it('go on after action.approved, even though a human answers outside the workflow', () => {
    spec.given(...reserved).when(actionApproved('approve')).then(['saga.step.completed approve #1', 'task.assigned pay -> w2', 'saga.step.dispatched pay #1']);
  });

  it('follow the failure path on a veto', () => {
    spec
      .given(...reserved)
      .when(actionVetoed('approve', 'too risky'))
      .then(['saga.step.failed approve #1 final', 'saga.compensating [reserve]', 'task.assigned undo reserve -> w1', 'saga.step.dispatched reserve (undo) #1'])
      .thenState((s) => expect(s.failure).toEqual({ stepId: 'approve', reason: 'vetoed by human:alice: too risky' }));
  });

  it('follow the failure path when the deadline passes with no decision', () => {
    spec
      .given(...reserved)
      .when(timeIs(1_000_000 + 60_000))
      .then(['saga.step.timed_out approve #1 final', 'saga.compensating [reserve]', 'task.assigned undo reserve -> w1', 'saga.step.dispatched reserve (undo) #1']);
  });
});

describe('steps that send any event type', () => {
  it('complete on the matching event carrying the correlation key', () => {
    const spec = SagaSpecification.for(custom);
    const run = spec.given().when(sagaRequested('custom', {}));
    expect(run.events.map((e) => e.type)).toEqual(['saga.started', 'document.processed', 'saga.step.dispatched']);
    const documentId = (run.events[1]!.payload as { documentId: string }).documentId;
    spec
      .given(sagaRequested('custom', {}))
      .when((s) => ({ kind: 'outcome', event: { id: 'x', type: 'embedding.generated', source: 'a', timestamp: 0, routingKey: 'embedding.generated', payload: { documentId }, metadata: { correlationId: s.correlationId, version: '1' } } }))
      .then(['saga.step.completed embed #1', 'saga.completed']);
  });
});

describe('capability-based assignment', () => {
  it('picks only among the agents the directory offers, and none when none has spare capacity', () => {
    const saga = defineSaga({ name: 'cap', steps: [{ id: 'summarise', command: { kind: 'task', assignee: { capability: 'summarise', minCapacity: 2 }, description: 's' }, timeoutMs: 1000 }] });
    const agents = agentSnapshot({ summarise: [{ agentId: 'busy', capacity: 1, load: 0.9 }, { agentId: 'free', capacity: 3, load: 0.1 }] });
    SagaSpecification.for(saga, { agents }).given().when(sagaRequested('cap', {})).then(['saga.started', 'task.assigned s -> free', 'saga.step.dispatched summarise #1']);
    const full = agentSnapshot({ summarise: [{ agentId: 'busy', capacity: 1, load: 0.9 }] });
    SagaSpecification.for(saga, { agents: full }).given().when(sagaRequested('cap', {})).then(['saga.started', 'saga.step.failed summarise #1 retry']);
  });
});

describe('timers', () => {
  it('the next wakeup is the earliest deadline or retry time, none once finished', () => {
    const spec = SagaSpecification.for(parallel);
    const running = spec.given(sagaRequested('parallel', {})).when(taskCompleted('a'));
    expect(nextWakeup(running.state)).toBe(1_000_000 + 1000);
    const failed = spec.given(sagaRequested('parallel', {})).when(taskFailed('a', 'no'));
    expect(failed.state.status).toBe('failed');
    expect(nextWakeup(failed.state)).toBeUndefined();
  });
});

describe('definitions', () => {
  it('refuse duplicate step ids and missing timeouts', () => {
    expect(() => compileSaga({ name: 'x', steps: [task('a', 'w'), task('a', 'w')] })).toThrow(SagaDefinitionError);
    expect(() => compileSaga({ name: 'x', steps: [{ ...task('a', 'w'), timeoutMs: 0 }] })).toThrow(/positive timeoutMs/);
  });
});
