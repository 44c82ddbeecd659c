import { ProjectionSpecification } from './testing/projectionSpecification';
import { testEvent, testEventTime } from './testing/testEvent';
import { taskProjection } from './taskProjection';

const at = (seconds: number) => testEventTime + seconds * 1000;
const task = { task_id: 't1' };

const created = testEvent(
  'task.created',
  { taskId: 't1', description: 'Summarise the Q3 report', priority: 'high', domain: 'financial', requiredCapability: 'summarise', input: '{"doc":"q3"}' },
  { at: at(0), correlationId: 'wf-1' },
);
const assigned = (attempt: number, agentId: string, seconds: number) =>
  testEvent(
    'task.assigned',
    { taskId: 't1', agentId, assignedBy: 'orchestrator', description: 'Summarise the Q3 report', requiredCapability: 'summarise', attempt },
    { at: at(seconds), correlationId: 'wf-1' },
  );
const acknowledged = (agentId: string, seconds: number) => testEvent('task.acknowledged', { taskId: 't1', agentId }, { at: at(seconds), correlationId: 'wf-1' });
const completed = (seconds: number, metrics: { durationMs: number; tokensUsed?: number | null } | null) =>
  testEvent('task.completed', { taskId: 't1', result: { status: 'success', output: '"done"', metrics } }, { at: at(seconds), correlationId: 'wf-1' });
const failed = (agentId: string | null, attempt: number, seconds: number) =>
  testEvent('task.failed', { taskId: 't1', agentId, error: 'model timed out', retriable: true, attempt }, { at: at(seconds), correlationId: 'wf-1' });

const given = ProjectionSpecification.for(taskProjection).given;

describe('taskProjection', () => {
  it('task.created opens the task with what it asks for', () =>
    given([])
      .when(created)
      .thenRow('tasks', task, {
        status: 'created',
        description: 'Summarise the Q3 report',
        priority: 'high',
        domain: 'financial',
        required_capability: 'summarise',
        correlation_id: 'wf-1',
        created_at: at(0),
        assignee: null,
        attempts: null,
        updated_at: at(0),
        last_event_id: created.id,
      }));

  it('task.created without domain or capability stores nulls', () =>
    given([])
      .when(testEvent('task.created', { taskId: 't1', description: 'd', priority: 'low' }))
      .thenRow('tasks', task, { domain: null, required_capability: null, priority: 'low' }));

  it('task.assigned records the assignee and the attempt', () =>
    given([created])
      .when(assigned(1, 'agent-7', 1))
      .thenRow('tasks', task, { status: 'assigned', assignee: 'agent-7', attempts: 1, assigned_at: at(1), created_at: at(0), updated_at: at(1) }));

  it('task.acknowledged records when the agent started', () =>
    given([created, assigned(1, 'agent-7', 1)])
      .when(acknowledged('agent-7', 2))
      .thenRow('tasks', task, { status: 'acknowledged', acknowledged_at: at(2), assignee: 'agent-7' }));

  it('task.completed without metrics (a v1 event) leaves duration and tokens null', () =>
    given([created])
      .when(completed(5, null))
      .thenRow('tasks', task, { status: 'completed', completed_at: at(5), duration_ms: null, tokens_used: null }));

  it('task.completed with a duration but no token count', () =>
    given([created]).when(completed(5, { durationMs: 900 })).thenRow('tasks', task, { duration_ms: 900, tokens_used: null }));

  it('task.failed records the error, the attempt and the agent', () =>
    given([created, assigned(1, 'agent-7', 1)])
      .when(failed('agent-7', 1, 3))
      .thenRow('tasks', task, { status: 'failed', failed_at: at(3), last_error: 'model timed out', attempts: 1, assignee: 'agent-7' }));

  it('task.failed without an agent keeps the last assignee', () =>
    given([created, assigned(1, 'agent-7', 1)]).when(failed(null, 1, 3)).thenRow('tasks', task, { status: 'failed', assignee: 'agent-7' }));

  it('created → assigned → acknowledged → completed gives one row with every column', () =>
    given([created, assigned(1, 'agent-7', 1), acknowledged('agent-7', 2)])
      .when(completed(10, { durationMs: 7800, tokensUsed: 1234 }))
      .then({
        table: 'tasks',
        rows: [
          {
            task_id: 't1',
            status: 'completed',
            description: 'Summarise the Q3 report',
            priority: 'high',
            domain: 'financial',
            required_capability: 'summarise',
            assignee: 'agent-7',
            attempts: 1,
            created_at: at(0),
            assigned_at: at(1),
            acknowledged_at: at(2),
            completed_at: at(10),
            failed_at: null,
            duration_ms: 7800,
            tokens_used: 1234,
            last_error: null,
            correlation_id: 'wf-1',
            updated_at: at(10),
            last_event_id: completed(10, { durationMs: 7800, tokensUsed: 1234 }).id,
          },
        ],
      }));

  it('a failed attempt and its reassignment count two attempts and keep the last error', () =>
    given([created, assigned(1, 'agent-7', 1), acknowledged('agent-7', 2), failed('agent-7', 1, 3)])
      .when(assigned(2, 'agent-9', 4))
      .thenRow('tasks', task, { status: 'assigned', assignee: 'agent-9', attempts: 2, assigned_at: at(4), failed_at: at(3), last_error: 'model timed out' }));

  it('an event for a task created before the replay window still gets a row, without an invented created_at', () =>
    given([])
      .when(acknowledged('agent-7', 2))
      .thenRow('tasks', task, { status: 'acknowledged', acknowledged_at: at(2), created_at: null, description: null, priority: null, correlation_id: null }));

  it.each([
    ['task.created', created],
    ['task.assigned', assigned(1, 'agent-7', 1)],
    ['task.acknowledged', acknowledged('agent-7', 2)],
    ['task.completed', completed(5, { durationMs: 1 })],
    ['task.failed', failed('agent-7', 1, 3)],
  ])('applying %s twice changes nothing the second time', (_type, event) => given([created, event]).when(event).thenNothingChanged());

  it('ignores events of other categories', () =>
    given([created]).when(testEvent('agent.paused', { agentId: 'agent-7' })).thenNothingChanged());

  it('keeps tasks apart', () =>
    given([created])
      .when(testEvent('task.created', { taskId: 't2', description: 'other', priority: 'normal' }))
      .thenRow('tasks', { task_id: 't1' }, { description: 'Summarise the Q3 report' }));
});
