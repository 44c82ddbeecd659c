import type { AgentEvent, SagaPhase, WorkflowRequestedPayload } from '@agentbus/events';
import type { AgentSnapshot } from './agentDirectory';
import {
  compileSaga,
  defaultCompensationRetry,
  defaultRetry,
  type CompiledSaga,
  type EventCommand,
  type OutcomeMatcher,
  type RetryPolicy,
  type SagaDefinition,
  type StepCommand,
  type StepContext,
  type StepDefinition,
  type TaskCommand,
} from './sagaDefinition';
import { evolveSaga, isFinished, type SagaState, type StepState } from './sagaState';

export type SagaInput =
  | { kind: 'start'; event: AgentEvent<'workflow.requested', WorkflowRequestedPayload> }
  /** An event that may complete or fail a step (task.completed, action.vetoed, ...). */
  | { kind: 'outcome'; event: AgentEvent }
  /** Time passed: deadlines and retry times up to `now` are due. */
  | { kind: 'tick' };

export interface DecideContext {
  now: number;
  /** Ids of the events the decision emits; stored with them, so a relay sends the same ids again. */
  newId: () => string;
  agents: AgentSnapshot;
  /** The orchestrator's name in `source` and `assignedBy`. */
  source: string;
  /** Turns a step's base key into the task or action id it sends (the orchestrator co-partitions it with the saga). */
  correlationKey?: (sagaId: string, base: string) => string;
}

export interface Decision {
  /** Lifecycle events and commands, in the order they are to be published. */
  events: AgentEvent[];
  state: SagaState;
}

/** The deadline or retry time the saga next needs a tick at; undefined when it waits only for events. */
export const nextWakeup = (state: SagaState): number | undefined => {
  if (isFinished(state)) return undefined;
  const times = Object.values(state.steps).flatMap((s) => [s.deadline, s.retryAt].filter((t): t is number => t !== undefined));
  return times.length === 0 ? undefined : Math.min(...times);
};

/** Which step, phase and attempt an outcome event is about, if it is an outcome at all. */
export const correlationKeyOf = (saga: CompiledSaga, event: AgentEvent): { key: string; kind: 'completed' | 'failed'; retriable: boolean; approval: boolean } | undefined => {
  const p = event.payload as Record<string, unknown>;
  switch (event.type) {
    case 'task.completed':
      return typeof p.taskId === 'string' ? { key: p.taskId, kind: 'completed', retriable: false, approval: false } : undefined;
    case 'task.failed':
      return typeof p.taskId === 'string' ? { key: p.taskId, kind: 'failed', retriable: p.retriable === true, approval: false } : undefined;
    case 'action.approved':
      return typeof p.actionId === 'string' ? { key: p.actionId, kind: 'completed', retriable: false, approval: true } : undefined;
    case 'action.vetoed':
      return typeof p.actionId === 'string' ? { key: p.actionId, kind: 'failed', retriable: false, approval: true } : undefined;
  }
  for (const step of saga.stages.flat()) {
    for (const command of [step.command, step.compensation]) {
      if (command?.kind !== 'event') continue;
      const match = (matchers: readonly OutcomeMatcher[] | undefined, kind: 'completed' | 'failed') => {
        const m = matchers?.find((x) => x.type === event.type);
        const key = m?.keyOf(event);
        return m && key ? { key, kind, retriable: m.retriable ?? true, approval: false } : undefined;
      };
      const found = match(command.completedBy, 'completed') ?? match(command.failedBy, 'failed');
      if (found) return found;
    }
  }
  return undefined;
};

const compiled = new WeakMap<SagaDefinition, CompiledSaga>();
const compiledOf = (definition: SagaDefinition): CompiledSaga => {
  let saga = compiled.get(definition);
  if (!saga) {
    saga = compileSaga(definition);
    compiled.set(definition, saga);
  }
  return saga;
};

/**
 * The saga decider: given its state and one input, the events to emit. Pure: time, ids and the
 * agent directory come in through `context`, so the same input on the same state decides the same.
 */
export const decideSaga = (definition: SagaDefinition, state: SagaState, input: SagaInput, context: DecideContext): Decision => {
  const saga = compiledOf(definition);
  const run = new Run(saga, state, context);
  switch (input.kind) {
    case 'start':
      run.start(input.event);
      break;
    case 'outcome':
      run.outcome(input.event);
      break;
    case 'tick':
      run.tick();
      break;
  }
  return { events: run.events, state: run.state };
};

class Run {
  readonly events: AgentEvent[] = [];

  constructor(
    private readonly saga: CompiledSaga,
    public state: SagaState,
    private readonly context: DecideContext,
  ) {}

  start(event: AgentEvent<'workflow.requested', WorkflowRequestedPayload>): void {
    if (this.state.status !== 'new') return this.ignore(event, isFinished(this.state) ? 'finished' : 'duplicate');
    const { sagaId, sagaName, input } = event.payload;
    this.emit(event, 'saga.started', { sagaId, sagaName, input, steps: [...this.saga.order] }, event.metadata.correlationId ?? event.id);
    let parsed: unknown;
    let problem: string | undefined;
    try {
      parsed = JSON.parse(input);
      problem = this.saga.definition.validateInput?.(parsed);
    } catch (error) {
      problem = `input is not JSON: ${(error as Error).message}`;
    }
    if (problem !== undefined) {
      this.emit(event, 'saga.failed', { sagaId, status: 'failed', failedStep: null, reason: `invalid input: ${problem}` });
      return;
    }
    this.advance(event);
  }

  outcome(event: AgentEvent): void {
    const found = correlationKeyOf(this.saga, event);
    const dispatched = found && this.state.keys[found.key];
    if (!found || !dispatched) return this.ignore(event, 'unexpected');
    if (isFinished(this.state)) return this.ignore(event, 'finished');
    // Humans answer approvals from outside the workflow; every other outcome must belong to it.
    if (!found.approval && event.metadata.correlationId !== this.state.correlationId) return this.ignore(event, 'unexpected');
    if (dispatched.outcome) return this.ignore(event, dispatched.outcome === 'timed_out' ? 'late' : 'duplicate');
    const step = this.state.steps[dispatched.stepId]!;
    if (step.attempt !== dispatched.attempt || step.phase !== dispatched.phase) return this.ignore(event, 'late');
    const { stepId, phase, attempt } = dispatched;
    const sagaId = this.state.sagaId;
    if (found.kind === 'completed') {
      const output = event.type === 'task.completed' ? (event.payload as { result: { output: string } }).result.output : JSON.stringify(event.payload);
      this.emit(event, 'saga.step.completed', { sagaId, stepId, phase, attempt, outcomeEventId: event.id, output });
    } else {
      const error = describeFailure(event);
      this.fail(event, stepId, phase, attempt, error, found.retriable, event.id);
    }
    this.advance(event);
  }

  tick(): void {
    if (isFinished(this.state) || this.state.status === 'new') return;
    const { now } = this.context;
    for (const stepId of this.saga.order) {
      const step = this.state.steps[stepId];
      if (!step || step.deadline === undefined || step.deadline > now) continue;
      const cause = { id: step.dispatchedEventId ?? this.state.lastEventId ?? this.state.sagaId, metadata: { correlationId: this.state.correlationId, version: '1' } };
      const retry = this.retryFor(stepId, step.phase, step.attempt, true);
      this.emit(cause, 'saga.step.timed_out', { sagaId: this.state.sagaId, stepId, phase: step.phase, attempt: step.attempt, deadline: step.deadline, ...retry });
    }
    const cause = { id: this.state.lastEventId ?? this.state.sagaId, metadata: { correlationId: this.state.correlationId, version: '1' } };
    this.advance(cause);
  }

  /** Dispatches whatever is due, and ends the saga when nothing is left to do. */
  private advance(cause: Cause): void {
    for (let guard = 0; guard < 1000; guard++) {
      const before = this.events.length;
      if (this.state.status === 'running') this.advanceForward(cause);
      else if (this.state.status === 'compensating') this.advanceCompensation(cause);
      if (this.events.length === before) return;
    }
  }

  private advanceForward(cause: Cause): void {
    const steps = this.state.steps;
    const inFlight = this.saga.order.some((id) => steps[id]!.status === 'running');
    if (this.state.failure) {
      // Parallel steps already running finish (or time out) first: their outcome decides whether they need undoing.
      if (inFlight) return;
      const toUndo = [...this.saga.order].reverse().filter((id) => steps[id]!.status === 'completed' && this.saga.step(id).compensation);
      this.emit(cause, 'saga.compensating', { sagaId: this.state.sagaId, failedStep: this.state.failure.stepId, reason: this.state.failure.reason, steps: toUndo });
      return;
    }
    const stage = this.saga.stages.find((s) => s.some((step) => steps[step.id]!.status !== 'completed'));
    if (!stage) {
      const outputs = Object.fromEntries(this.saga.order.map((id) => [id, steps[id]!.output ?? null]));
      this.emit(cause, 'saga.completed', { sagaId: this.state.sagaId, output: JSON.stringify(outputs) });
      return;
    }
    for (const step of stage) {
      const s = steps[step.id]!;
      if (s.status === 'pending') this.dispatch(cause, step, 'forward', 1);
      else if (s.status === 'retry_wait' && (s.retryAt ?? 0) <= this.context.now) this.dispatch(cause, step, 'forward', s.attempt + 1);
      if (this.state.failure) return;
    }
  }

  private advanceCompensation(cause: Cause): void {
    const sagaId = this.state.sagaId;
    const failedStep = this.state.failure?.stepId ?? null;
    const current = this.state.compensationOrder.find((id) => this.state.steps[id]!.status !== 'compensated');
    if (current === undefined) {
      this.emit(cause, 'saga.compensated', { sagaId, steps: this.state.compensationOrder });
      this.emit(cause, 'saga.failed', { sagaId, status: 'failed', failedStep, reason: this.state.failure?.reason ?? 'failed' });
      return;
    }
    const s = this.state.steps[current]!;
    if (s.status === 'compensation_failed') {
      const reason = `compensation of ${current} failed after ${s.attempt} attempt${s.attempt === 1 ? '' : 's'}; an operator must undo it`;
      this.emit(cause, 'saga.failed', { sagaId, status: 'failed_compensation', failedStep: current, reason });
      this.emit(cause, 'saga.operator_alert', { sagaId, sagaName: this.state.sagaName, severity: 'critical', stepId: current, reason });
      return;
    }
    const step = this.saga.step(current);
    if (s.status === 'completed') this.dispatch(cause, step, 'compensation', 1);
    else if (s.status === 'compensating' && s.deadline === undefined && (s.retryAt ?? 0) <= this.context.now) this.dispatch(cause, step, 'compensation', s.attempt + 1);
  }

  private dispatch(cause: Cause, step: StepDefinition, phase: SagaPhase, attempt: number): void {
    const command = phase === 'forward' ? step.command : step.compensation!;
    const timeoutMs = phase === 'forward' ? step.timeoutMs : (step.compensationTimeoutMs ?? step.timeoutMs);
    const sagaId = this.state.sagaId;
    const base = `${sagaId}.${step.id}${phase === 'compensation' ? '.undo' : ''}.${attempt}`;
    const correlationKey = this.context.correlationKey?.(sagaId, base) ?? base;
    const deadline = this.context.now + timeoutMs;
    const stepContext: StepContext = { sagaId, input: this.state.input, outputs: Object.fromEntries(Object.entries(this.state.steps).map(([id, s]) => [id, s.output ?? null])) };
    const built = this.buildCommand(command, stepContext, correlationKey, deadline, attempt);
    if ('error' in built) {
      this.fail(cause, step.id, phase, attempt, built.error, true, null);
      return;
    }
    const commandEvent = this.make(cause, built.type, built.payload, built.routingKey);
    this.emitEvent(commandEvent);
    this.emit(cause, 'saga.step.dispatched', {
      sagaId,
      stepId: step.id,
      phase,
      attempt,
      commandId: commandEvent.id,
      commandType: commandEvent.type,
      correlationKey,
      agentId: built.agentId ?? null,
      capability: built.capability ?? null,
      deadline,
    });
  }

  private buildCommand(command: StepCommand, ctx: StepContext, correlationKey: string, deadline: number, attempt: number): { type: string; payload: unknown; routingKey?: string; agentId?: string; capability?: string } | { error: string } {
    switch (command.kind) {
      case 'task':
        return this.buildTask(command, ctx, correlationKey, deadline, attempt);
      case 'event':
        return buildEvent(command, ctx, correlationKey);
      case 'approval':
        return {
          type: 'action.proposed',
          payload: {
            actionId: correlationKey,
            proposedBy: this.context.source,
            action: command.action,
            arguments: JSON.stringify(command.arguments?.(ctx) ?? {}),
            rationale: command.rationale ?? null,
            risk: command.risk ?? 'medium',
            deadline,
          },
        };
    }
  }

  private buildTask(command: TaskCommand, ctx: StepContext, taskId: string, deadline: number, attempt: number) {
    let agentId: string;
    let capability: string | undefined;
    if ('agentId' in command.assignee) agentId = command.assignee.agentId;
    else {
      capability = command.assignee.capability;
      const candidates = this.context.agents.findCapableAgents(capability, { minCapacity: command.assignee.minCapacity ?? 1 });
      if (candidates.length === 0) return { error: `no online agent with capability ${capability} and spare capacity` };
      // Least loaded first; sagas deciding on the same snapshot spread over the few least loaded.
      agentId = candidates[spread(taskId) % Math.min(candidates.length, 3)]!.agentId;
    }
    return {
      type: 'task.assigned',
      routingKey: `task.assigned.${agentId}`,
      agentId,
      capability,
      payload: {
        taskId,
        agentId,
        assignedBy: this.context.source,
        description: command.description,
        input: JSON.stringify(command.input?.(ctx) ?? ctx.input),
        requiredCapability: capability ?? null,
        deadline,
        attempt,
      },
    };
  }

  private fail(cause: Cause, stepId: string, phase: SagaPhase, attempt: number, error: string, retriable: boolean, outcomeEventId: string | null): void {
    const retry = this.retryFor(stepId, phase, attempt, retriable);
    this.emit(cause, 'saga.step.failed', { sagaId: this.state.sagaId, stepId, phase, attempt, error, ...retry, outcomeEventId });
  }

  private retryFor(stepId: string, phase: SagaPhase, attempt: number, retriable: boolean): { willRetry: boolean; retryAt: number | null } {
    const step = this.saga.step(stepId);
    // An expired or vetoed approval is not asked again unless the step says so.
    const forwardDefault = step.command.kind === 'approval' ? { ...defaultRetry, maxAttempts: 1 } : defaultRetry;
    const policy: RetryPolicy = phase === 'forward' ? { ...forwardDefault, ...step.retry } : { ...defaultCompensationRetry, ...step.compensationRetry };
    // Once the saga is failing, forward steps are not retried: they would only have to be undone.
    const willRetry = retriable && attempt < policy.maxAttempts && !(phase === 'forward' && this.state.failure);
    return { willRetry, retryAt: willRetry ? this.context.now + policy.backoffMs * 2 ** (attempt - 1) : null };
  }

  private ignore(event: AgentEvent, reason: 'duplicate' | 'late' | 'finished' | 'unexpected'): void {
    if (this.state.status === 'new') return;
    this.emit(event, 'saga.event_ignored', { sagaId: this.state.sagaId, eventId: event.id, eventType: event.type, reason });
  }

  private emit(cause: Cause, type: string, payload: unknown, correlationId?: string): void {
    this.emitEvent(this.make(cause, type, payload, undefined, correlationId));
  }

  private make(cause: Cause, type: string, payload: unknown, routingKey?: string, correlationId?: string): AgentEvent {
    return {
      id: this.context.newId(),
      type,
      source: this.context.source,
      timestamp: this.context.now,
      routingKey: routingKey ?? type,
      payload,
      metadata: { correlationId: correlationId ?? (this.state.correlationId || cause.metadata.correlationId || cause.id), causationId: cause.id, version: '1' },
    };
  }

  private emitEvent(event: AgentEvent): void {
    this.events.push(event);
    this.state = evolveSaga(this.state, event);
  }
}

type Cause = Pick<AgentEvent, 'id' | 'metadata'>;

const buildEvent = (command: EventCommand, ctx: StepContext, correlationKey: string) => ({
  type: command.type,
  payload: command.payload({ ...ctx, correlationKey }),
  ...(command.routingKey ? { routingKey: command.routingKey(correlationKey) } : {}),
});

const describeFailure = (event: AgentEvent): string => {
  const p = event.payload as Record<string, unknown>;
  if (event.type === 'action.vetoed') return `vetoed by ${String(p.vetoedBy)}: ${String(p.reason)}`;
  if (typeof p.error === 'string') return p.error;
  return `${event.type} ${JSON.stringify(p)}`;
};

const spread = (text: string): number => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return hash >>> 0;
};

export type { StepState };
