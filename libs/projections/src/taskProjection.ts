import { defineProjection, unhandled, type EventOf, type TableDefinition } from './projection';
import { upsert, type Row } from './rowChange';

const taskEventTypes = ['task.created', 'task.assigned', 'task.acknowledged', 'task.completed', 'task.failed'] as const;
type TaskEvent = EventOf<(typeof taskEventTypes)[number]>;

const tasks: TableDefinition = {
  name: 'tasks',
  key: ['task_id'],
  columns: {
    task_id: 'text',
    status: 'text',
    description: 'text',
    priority: 'text',
    domain: 'text',
    required_capability: 'text',
    assignee: 'text',
    attempts: 'integer',
    created_at: 'timestamptz',
    assigned_at: 'timestamptz',
    acknowledged_at: 'timestamptz',
    completed_at: 'timestamptz',
    failed_at: 'timestamptz',
    duration_ms: 'bigint',
    tokens_used: 'bigint',
    last_error: 'text',
    correlation_id: 'text',
    updated_at: 'timestamptz',
    last_event_id: 'text',
  },
};

const columnsFor = (event: TaskEvent): Row => {
  switch (event.type) {
    case 'task.created':
      return {
        status: 'created',
        created_at: event.timestamp,
        description: event.payload.description,
        priority: event.payload.priority,
        domain: event.payload.domain ?? null,
        required_capability: event.payload.requiredCapability ?? null,
        correlation_id: event.metadata.correlationId ?? null,
      };
    case 'task.assigned':
      return { status: 'assigned', assignee: event.payload.agentId, attempts: event.payload.attempt, assigned_at: event.timestamp };
    case 'task.acknowledged':
      return { status: 'acknowledged', acknowledged_at: event.timestamp };
    case 'task.completed': {
      const metrics = event.payload.result.metrics;
      return { status: 'completed', completed_at: event.timestamp, duration_ms: metrics?.durationMs ?? null, tokens_used: metrics?.tokensUsed ?? null };
    }
    case 'task.failed': {
      const { agentId, error, attempt } = event.payload;
      // A failure without an agent (no capable agent, missed deadline) keeps the last assignee on record.
      const assignee = agentId === null || agentId === undefined ? {} : { assignee: agentId };
      return { status: 'failed', failed_at: event.timestamp, last_error: error, attempts: attempt, ...assignee };
    }
    default:
      return unhandled(event);
  }
};

/** One row per task with its latest status; an event for a task created before the replay window still gets a row. */
export const taskProjection = defineProjection({
  name: 'tasks',
  tables: [tasks],
  handles: taskEventTypes,
  project: (event) => [
    upsert(tasks.name, { task_id: event.payload.taskId }, { ...columnsFor(event), updated_at: event.timestamp, last_event_id: event.id }),
  ],
});
