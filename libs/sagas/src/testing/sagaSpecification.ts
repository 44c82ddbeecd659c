import type { AgentEvent } from '@agentbus/events';
import { noAgents, type AgentSnapshot } from '../agentDirectory';
import { decideSaga, type SagaInput } from '../sagaDecider';
import type { SagaDefinition } from '../sagaDefinition';
import { initialSagaState, type SagaState } from '../sagaState';

/** An input, or one built from the state so far (outcomes need the key the step was dispatched with). */
export type GivenInput = SagaInput | ((state: SagaState) => SagaInput) | { at: number };

export interface SagaThen {
  /** The `when` input emitted exactly these events, summarised by `describeSagaEvent`. */
  then(expected: readonly string[]): SagaThen;
  thenState(check: (state: SagaState) => void): SagaThen;
  readonly events: AgentEvent[];
  readonly state: SagaState;
}

export const specSagaId = 'saga-1';
export const specCorrelationId = 'corr-1';

/** task.assigned shows its description, dispatched/failed/completed their step: enough to read a saga's path. */
export const describeSagaEvent = (event: AgentEvent): string => {
  const p = event.payload as Record<string, unknown>;
  switch (event.type) {
    case 'task.assigned':
      return `task.assigned ${String(p.description)} -> ${String(p.agentId)}`;
    case 'action.proposed':
      return `action.proposed ${String(p.action)}`;
    case 'saga.step.dispatched':
    case 'saga.step.completed':
    case 'saga.step.failed':
    case 'saga.step.timed_out':
      return `${event.type} ${String(p.stepId)}${p.phase === 'compensation' ? ' (undo)' : ''} #${String(p.attempt)}${'willRetry' in p ? (p.willRetry ? ' retry' : ' final') : ''}`;
    case 'saga.compensating':
    case 'saga.compensated':
      return `${event.type} [${(p.steps as string[]).join(', ')}]`;
    case 'saga.failed':
      return `saga.failed ${String(p.status)}`;
    case 'saga.event_ignored':
      return `saga.event_ignored ${String(p.eventType)} ${String(p.reason)}`;
    default:
      return event.type;
  }
};

/** Given/when/then for a saga decider, with no I/O: time, ids and agents are the spec's. */
export class SagaSpecification {
  private constructor(
    private readonly definition: SagaDefinition,
    private readonly agents: AgentSnapshot,
  ) {}

  static for(definition: SagaDefinition<never> | SagaDefinition, options: { agents?: AgentSnapshot } = {}): SagaSpecification {
    return new SagaSpecification(definition as SagaDefinition, options.agents ?? noAgents);
  }

  given(...inputs: GivenInput[]): { when(input: GivenInput): SagaThen } {
    return { when: (input) => this.run(inputs, input) };
  }

  private run(given: GivenInput[], when: GivenInput): SagaThen {
    let now = 1_000_000;
    let ids = 0;
    let state = initialSagaState(specSagaId);
    const apply = (input: GivenInput): AgentEvent[] => {
      if ('at' in input) {
        now = input.at;
        return this.decide(state, { kind: 'tick' }, now, () => `e${++ids}`, (s) => (state = s));
      }
      const resolved = typeof input === 'function' ? input(state) : input;
      return this.decide(state, resolved, now, () => `e${++ids}`, (s) => (state = s));
    };
    for (const input of given) apply(input);
    const events = apply(when);
    const result: SagaThen = {
      events,
      get state() {
        return state;
      },
      then: (expected) => {
        expect(events.map(describeSagaEvent)).toEqual(expected);
        return result;
      },
      thenState: (check) => {
        check(state);
        return result;
      },
    };
    return result;
  }

  private decide(state: SagaState, input: SagaInput, now: number, newId: () => string, set: (s: SagaState) => void): AgentEvent[] {
    const decision = decideSaga(this.definition, state, input, { now, newId, agents: this.agents, source: 'saga-orchestrator' });
    set(decision.state);
    return decision.events;
  }
}

let outcomeIds = 0;
const outcome = (type: string, payload: unknown, correlationId: string, id?: string): SagaInput => ({
  kind: 'outcome',
  event: { id: id ?? `out-${++outcomeIds}`, type, source: 'did:agent:test', timestamp: 0, routingKey: type, payload, metadata: { correlationId, version: '1' } },
});

const keyOf = (state: SagaState, stepId: string): string => {
  const key = state.steps[stepId]?.correlationKey;
  if (!key) throw new Error(`step ${stepId} was never dispatched`);
  return key;
};

export const sagaRequested = (sagaName: string, input: unknown, options: { sagaId?: string; id?: string } = {}): SagaInput => ({
  kind: 'start',
  event: {
    id: options.id ?? 'req-1',
    type: 'workflow.requested',
    source: 'did:agent:test',
    timestamp: 0,
    routingKey: 'workflow.requested',
    payload: { sagaId: options.sagaId ?? specSagaId, sagaName, input: JSON.stringify(input), requestedBy: 'test' },
    metadata: { correlationId: specCorrelationId, version: '1' },
  },
});

/** The running attempt of `stepId` (or its compensation) completed. Pass `id` to send the same event twice. */
export const taskCompleted = (stepId: string, output: unknown = { ok: true }, options: { id?: string; key?: string; correlationId?: string } = {}) => (state: SagaState) =>
  outcome('task.completed', { taskId: options.key ?? keyOf(state, stepId), result: { status: 'success', output: JSON.stringify(output), metrics: null } }, options.correlationId ?? state.correlationId, options.id);

export const taskFailed = (stepId: string, error: string, options: { retriable?: boolean; id?: string; key?: string } = {}) => (state: SagaState) =>
  outcome('task.failed', { taskId: options.key ?? keyOf(state, stepId), agentId: null, error, retriable: options.retriable ?? false, attempt: 1 }, state.correlationId, options.id);

export const actionApproved = (stepId: string) => (state: SagaState) => outcome('action.approved', { actionId: keyOf(state, stepId), approvedBy: 'human:alice', comment: null }, 'elsewhere');

export const actionVetoed = (stepId: string, reason: string) => (state: SagaState) => outcome('action.vetoed', { actionId: keyOf(state, stepId), vetoedBy: 'human:alice', reason }, 'elsewhere');

/** Time moves to `at`: due deadlines and retries fire. */
export const timeIs = (at: number): { at: number } => ({ at });
