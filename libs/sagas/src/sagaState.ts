import type { AgentEvent, EventPayloads, SagaPhase } from '@agentbus/events';

export type SagaStatus = 'new' | 'running' | 'compensating' | 'completed' | 'failed' | 'failed_compensation';

export type StepStatus = 'pending' | 'running' | 'retry_wait' | 'completed' | 'failed' | 'compensating' | 'compensated' | 'compensation_failed';

export interface StepState {
  status: StepStatus;
  phase: SagaPhase;
  /** The current attempt in the current phase; 0 before the first dispatch. */
  attempt: number;
  correlationKey?: string;
  deadline?: number;
  retryAt?: number;
  agentId?: string;
  /** The saga.step.dispatched of the running attempt: what its timeout is caused by. */
  dispatchedEventId?: string;
  output?: unknown;
}

export type KeyOutcome = 'completed' | 'failed' | 'timed_out';

/** Every correlation key ever dispatched, so late and duplicate outcomes are recognised. */
export interface DispatchedKey {
  stepId: string;
  phase: SagaPhase;
  attempt: number;
  outcome?: KeyOutcome;
}

export interface SagaState {
  sagaId: string;
  sagaName: string;
  correlationId: string;
  input: unknown;
  status: SagaStatus;
  steps: Record<string, StepState>;
  keys: Record<string, DispatchedKey>;
  /** The step whose terminal failure turned the saga towards compensation, and why. */
  failure?: { stepId: string; reason: string };
  compensationOrder: string[];
  /** Id of the last event the saga emitted; causation for what a timer makes it do. */
  lastEventId?: string;
}

export const initialSagaState = (sagaId: string): SagaState => ({
  sagaId,
  sagaName: '',
  correlationId: '',
  input: null,
  status: 'new',
  steps: {},
  keys: {},
  compensationOrder: [],
});

export const isFinished = (state: SagaState): boolean => state.status === 'completed' || state.status === 'failed' || state.status === 'failed_compensation';

export const sagaEventTypes = [
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
export type SagaEventType = (typeof sagaEventTypes)[number];
export type SagaEvent = { [K in SagaEventType]: AgentEvent<K, EventPayloads[K]> }[SagaEventType];

const parseJson = (text: string | null | undefined): unknown => {
  if (text === null || text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

const settle = (state: SagaState, key: string | undefined, outcome: KeyOutcome): Record<string, DispatchedKey> =>
  key && state.keys[key] ? { ...state.keys, [key]: { ...state.keys[key]!, outcome } } : state.keys;

/**
 * The saga's state is a fold of its own lifecycle events, so it can be rebuilt from the saga topic.
 * Commands it sent (task.assigned, action.proposed) are not needed: saga.step.dispatched says it all.
 */
export const evolveSaga = (state: SagaState, event: AgentEvent): SagaState => {
  if (!(sagaEventTypes as readonly string[]).includes(event.type)) return state;
  const e = event as SagaEvent;
  const next: SagaState = { ...state, lastEventId: e.id };
  const step = (id: string): StepState => state.steps[id] ?? { status: 'pending', phase: 'forward', attempt: 0 };
  const withStep = (id: string, change: Partial<StepState>): Record<string, StepState> => ({ ...state.steps, [id]: { ...step(id), ...change } });
  switch (e.type) {
    case 'saga.started': {
      const { sagaName, input, steps } = e.payload;
      return { ...next, sagaName, input: parseJson(input), correlationId: e.metadata.correlationId ?? e.id, status: 'running', steps: Object.fromEntries(steps.map((s) => [s, step(s)])) };
    }
    case 'saga.step.dispatched': {
      const { stepId, phase, attempt, correlationKey, deadline, agentId } = e.payload;
      return {
        ...next,
        steps: withStep(stepId, { status: phase === 'forward' ? 'running' : 'compensating', phase, attempt, correlationKey, deadline, retryAt: undefined, agentId: agentId ?? undefined, dispatchedEventId: e.id }),
        keys: { ...state.keys, [correlationKey]: { stepId, phase, attempt } },
      };
    }
    case 'saga.step.completed': {
      const { stepId, phase, output } = e.payload;
      const keys = settle(state, step(stepId).correlationKey, 'completed');
      if (phase === 'compensation') return { ...next, keys, steps: withStep(stepId, { status: 'compensated', deadline: undefined }) };
      return { ...next, keys, steps: withStep(stepId, { status: 'completed', deadline: undefined, output: parseJson(output) }) };
    }
    case 'saga.step.failed':
    case 'saga.step.timed_out': {
      const { stepId, phase, willRetry, retryAt } = e.payload;
      const reason = e.type === 'saga.step.failed' ? e.payload.error : `timed out after attempt ${e.payload.attempt}`;
      const keys = settle(state, step(stepId).correlationKey, e.type === 'saga.step.failed' ? 'failed' : 'timed_out');
      if (phase === 'compensation') {
        return { ...next, keys, steps: withStep(stepId, willRetry ? { status: 'compensating', deadline: undefined, retryAt: retryAt ?? undefined } : { status: 'compensation_failed', deadline: undefined }) };
      }
      if (willRetry) return { ...next, keys, steps: withStep(stepId, { status: 'retry_wait', deadline: undefined, retryAt: retryAt ?? undefined }) };
      return { ...next, keys, steps: withStep(stepId, { status: 'failed', deadline: undefined }), failure: state.failure ?? { stepId, reason } };
    }
    case 'saga.compensating':
      return { ...next, status: 'compensating', compensationOrder: e.payload.steps, failure: state.failure ?? { stepId: e.payload.failedStep, reason: e.payload.reason } };
    case 'saga.compensated':
      return next;
    case 'saga.completed':
      return { ...next, status: 'completed' };
    case 'saga.failed':
      return { ...next, status: e.payload.status };
    case 'saga.operator_alert':
    case 'saga.event_ignored':
      return next;
    default:
      return unhandledSagaEvent(e);
  }
};

const unhandledSagaEvent = (event: never): never => {
  throw new Error(`unhandled saga event ${(event as AgentEvent).type}`);
};
