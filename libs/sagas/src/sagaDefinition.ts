import type { ActionRisk, AgentEvent } from '@agentbus/events';

/** What step builders see: the saga's input and the outputs of the steps completed so far. */
export interface StepContext<TInput = unknown> {
  sagaId: string;
  input: TInput;
  outputs: Readonly<Record<string, unknown>>;
}

/** Who should do a task: a fixed agent, or any online agent with the capability and spare capacity. */
export type Assignee = { agentId: string } | { capability: string; minCapacity?: number };

/** Sends `task.assigned.<agentId>`; task.completed completes it and task.failed fails it (retried only when retriable). */
export interface TaskCommand<TInput = unknown> {
  kind: 'task';
  assignee: Assignee;
  description: string;
  input?: (context: StepContext<TInput>) => unknown;
}

/** Matches an outcome event to the step: its type, and where it carries the correlation key. */
export interface OutcomeMatcher {
  type: string;
  keyOf: (event: AgentEvent) => string | undefined;
  /** For failures: may another attempt succeed? true by default. */
  retriable?: boolean;
}

/** Any event type; `correlationKey` is what the completing or failing event must carry back. */
export interface EventCommand<TInput = unknown> {
  kind: 'event';
  type: string;
  routingKey?: (correlationKey: string) => string;
  payload: (context: StepContext<TInput> & { correlationKey: string }) => unknown;
  completedBy: readonly OutcomeMatcher[];
  failedBy?: readonly OutcomeMatcher[];
}

/** Publishes action.proposed and waits for action.approved or action.vetoed until the deadline (the step's timeout). */
export interface ApprovalCommand<TInput = unknown> {
  kind: 'approval';
  action: string;
  arguments?: (context: StepContext<TInput>) => unknown;
  rationale?: string;
  risk?: ActionRisk;
}

export type StepCommand<TInput = unknown> = TaskCommand<TInput> | EventCommand<TInput> | ApprovalCommand<TInput>;

export interface RetryPolicy {
  /** Tries in all, the first included. */
  maxAttempts: number;
  /** Wait before the second try; doubles for each one after. 0 retries at once. */
  backoffMs: number;
}

export interface StepDefinition<TInput = unknown> {
  id: string;
  command: StepCommand<TInput>;
  /** How long one attempt may take before it times out. */
  timeoutMs: number;
  retry?: Partial<RetryPolicy>;
  /** Undoes a completed step when a later one fails; awaited like a step. */
  compensation?: TaskCommand<TInput> | EventCommand<TInput>;
  compensationTimeoutMs?: number;
  compensationRetry?: Partial<RetryPolicy>;
}

export interface SagaDefinition<TInput = unknown> {
  name: string;
  /** In order; an inner array is a group of steps that run in parallel. */
  steps: readonly (StepDefinition<TInput> | readonly StepDefinition<TInput>[])[];
  /** Refuses a bad input with a message naming the field; the saga then fails before any step. */
  validateInput?: (input: unknown) => string | undefined;
}

export const defaultRetry: RetryPolicy = { maxAttempts: 3, backoffMs: 1000 };
export const defaultCompensationRetry: RetryPolicy = { maxAttempts: 5, backoffMs: 1000 };

/** A saga as the decider uses it: stages of steps, each step with its stage and position. */
export interface CompiledSaga {
  definition: SagaDefinition;
  stages: readonly (readonly StepDefinition[])[];
  step(id: string): StepDefinition;
  /** Step ids in definition order. */
  order: readonly string[];
}

export class SagaDefinitionError extends Error {
  override name = 'SagaDefinitionError';
}

export const compileSaga = <TInput>(definition: SagaDefinition<TInput>): CompiledSaga => {
  const stages = definition.steps.map((s) => (Array.isArray(s) ? [...s] : [s as StepDefinition<TInput>])) as StepDefinition[][];
  const byId = new Map<string, StepDefinition>();
  for (const step of stages.flat()) {
    if (!/^[a-z][a-z0-9_-]*$/.test(step.id)) throw new SagaDefinitionError(`${definition.name}: step id "${step.id}" must be lower-case letters, digits, "_" and "-"`);
    if (byId.has(step.id)) throw new SagaDefinitionError(`${definition.name}: step id "${step.id}" is used twice`);
    if (!(step.timeoutMs > 0)) throw new SagaDefinitionError(`${definition.name}: step ${step.id} needs a positive timeoutMs`);
    byId.set(step.id, step);
  }
  if (stages.length === 0 || stages.some((s) => s.length === 0)) throw new SagaDefinitionError(`${definition.name}: a saga needs steps, and a parallel group at least one`);
  return {
    definition: definition as SagaDefinition,
    stages,
    order: stages.flat().map((s) => s.id),
    step: (id) => {
      const step = byId.get(id);
      if (!step) throw new SagaDefinitionError(`${definition.name} has no step ${id}`);
      return step;
    },
  };
};

export const defineSaga = <TInput>(definition: SagaDefinition<TInput>): SagaDefinition<TInput> => {
  compileSaga(definition);
  return definition;
};
