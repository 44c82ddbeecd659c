import { jsonColumn } from './jsonColumn';
import { defineProjection, unhandled, type EventOf, type TableDefinition } from './projection';
import { append, upsert, type Row, type RowChange } from './rowChange';

const sagaEventTypes = [
  'workflow.requested',
  'saga.started',
  'saga.step.dispatched',
  'saga.step.completed',
  'saga.step.failed',
  'saga.step.timed_out',
  'saga.compensating',
  'saga.compensated',
  'saga.completed',
  'saga.failed',
  'saga.operator_alert',
  'saga.event_ignored',
] as const;
type SagaEvent = EventOf<(typeof sagaEventTypes)[number]>;

export const sagasTable: TableDefinition = {
  name: 'sagas',
  key: ['saga_id'],
  columns: {
    saga_id: 'text',
    saga_name: 'text',
    status: 'text',
    input: 'jsonb',
    correlation_id: 'text',
    requested_by: 'text',
    requested_at: 'timestamptz',
    started_at: 'timestamptz',
    current_step: 'text',
    failed_step: 'text',
    reason: 'text',
    output: 'jsonb',
    alerted: 'boolean',
    updated_at: 'timestamptz',
    finished_at: 'timestamptz',
  },
};

/** One row per saga event, so a saga's timeline is a query on saga_id ordered by time. */
export const sagaTimelineTable: TableDefinition = {
  name: 'saga_timeline',
  key: ['event_id'],
  columns: {
    event_id: 'text',
    saga_id: 'text',
    occurred_at: 'timestamptz',
    type: 'text',
    step_id: 'text',
    phase: 'text',
    attempt: 'integer',
    agent_id: 'text',
    detail: 'text',
  },
};

const statusFor = (event: SagaEvent): Row => {
  const at = event.timestamp;
  switch (event.type) {
    case 'workflow.requested':
      return { saga_name: event.payload.sagaName, requested_by: event.payload.requestedBy, requested_at: at, correlation_id: event.metadata.correlationId ?? event.id };
    case 'saga.started':
      return { saga_name: event.payload.sagaName, input: jsonColumn(event.payload.input), status: 'running', started_at: at, updated_at: at, correlation_id: event.metadata.correlationId ?? event.id };
    case 'saga.step.dispatched':
      return { current_step: event.payload.stepId, updated_at: at };
    case 'saga.step.completed':
    case 'saga.step.failed':
    case 'saga.step.timed_out':
    case 'saga.compensated':
    case 'saga.event_ignored':
      return { updated_at: at };
    case 'saga.compensating':
      return { status: 'compensating', failed_step: event.payload.failedStep, reason: event.payload.reason, updated_at: at };
    case 'saga.completed':
      return { status: 'completed', output: jsonColumn(event.payload.output), current_step: null, updated_at: at, finished_at: at };
    case 'saga.failed':
      return { status: event.payload.status, failed_step: event.payload.failedStep ?? null, reason: event.payload.reason, current_step: null, updated_at: at, finished_at: at };
    case 'saga.operator_alert':
      return { alerted: true, updated_at: at };
    default:
      return unhandled(event);
  }
};

const detailOf = (event: SagaEvent): string | null => {
  switch (event.type) {
    case 'workflow.requested':
      return `${event.payload.sagaName} requested by ${event.payload.requestedBy}`;
    case 'saga.started':
      return event.payload.steps.join(' → ');
    case 'saga.step.dispatched':
      return `${event.payload.commandType} ${event.payload.correlationKey}${event.payload.capability ? ` (capability ${event.payload.capability})` : ''}`;
    case 'saga.step.completed':
      return event.payload.output ?? null;
    case 'saga.step.failed':
      return `${event.payload.error}${event.payload.willRetry ? '; retrying' : ''}`;
    case 'saga.step.timed_out':
      return event.payload.willRetry ? 'retrying' : 'no retries left';
    case 'saga.compensating':
      return `${event.payload.reason}; undoing ${event.payload.steps.join(' → ') || 'nothing'}`;
    case 'saga.compensated':
      return event.payload.steps.join(' → ') || null;
    case 'saga.completed':
      return null;
    case 'saga.failed':
      return event.payload.reason;
    case 'saga.operator_alert':
      return `${event.payload.severity}: ${event.payload.reason}`;
    case 'saga.event_ignored':
      return `${event.payload.eventType} ${event.payload.eventId}: ${event.payload.reason}`;
    default:
      return unhandled(event);
  }
};

const timelineRow = (event: SagaEvent): Row => {
  const p = event.payload as { stepId?: string; phase?: string; attempt?: number; agentId?: string | null };
  return {
    saga_id: event.payload.sagaId,
    occurred_at: event.timestamp,
    type: event.type,
    step_id: p.stepId ?? null,
    phase: p.phase ?? null,
    attempt: p.attempt ?? null,
    agent_id: p.agentId ?? null,
    detail: detailOf(event),
  };
};

/** Each saga's status and its timeline, from the orchestrator's lifecycle events. */
export const sagaProjection = defineProjection({
  name: 'sagas',
  tables: [sagasTable, sagaTimelineTable],
  handles: sagaEventTypes,
  project: (event): RowChange[] => [upsert(sagasTable.name, { saga_id: event.payload.sagaId }, statusFor(event)), append(sagaTimelineTable.name, { event_id: event.id }, timelineRow(event))],
});
