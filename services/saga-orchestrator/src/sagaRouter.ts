import type { SchemaCatalog } from '@agentbus/codec';
import type { AgentEvent, EventCategory, WorkflowRequestedPayload } from '@agentbus/events';
import { correlationKeyOf, type CompiledSaga, type SagaDefinition } from '@agentbus/sagas';

/** Where an event goes: a saga by id (a start) or by correlation key (an outcome). */
export interface SagaRoute {
  sagaId?: string;
  key?: string;
}

export interface SagaRouter {
  /** A routing key that starts with a known event type (task.assigned.worker-7) tells the type; any other may be acted on and is decoded to find out. */
  mayBeActedOn(routingKey: string): boolean;
  route(event: AgentEvent): SagaRoute | undefined;
}

/** The event types the sagas act on: starts, approvals, and every step's completions and failures. */
const actedOn = (compiled: readonly CompiledSaga[]): Set<string> => {
  const acted = new Set(['workflow.requested', 'task.completed', 'task.failed', 'action.approved', 'action.vetoed']);
  for (const saga of compiled) {
    for (const step of saga.stages.flat()) {
      for (const c of [step.command, step.compensation]) if (c?.kind === 'event') for (const m of [...c.completedBy, ...(c.failedBy ?? [])]) acted.add(m.type);
    }
  }
  return acted;
};

export const sagaRouter = (compiled: readonly CompiledSaga[], catalog: SchemaCatalog): SagaRouter => {
  const acted = actedOn(compiled);
  return {
    mayBeActedOn: (routingKey) => {
      const words = routingKey.split('.');
      for (let n = 2; n <= Math.min(words.length, 4); n++) {
        const type = words.slice(0, n).join('.');
        if (catalog.has(type)) return acted.has(type);
      }
      return true;
    },
    route: (event) => {
      if (event.type === 'workflow.requested') return { sagaId: (event.payload as WorkflowRequestedPayload).sagaId };
      for (const saga of compiled) {
        const found = correlationKeyOf(saga, event);
        if (found) return { key: found.key };
      }
      return undefined;
    },
  };
};

/** The Kafka key of an outbox event: the saga for saga.* events, else the entity the command is about. */
export const messageKey = (event: AgentEvent): string => {
  const p = event.payload as Record<string, unknown>;
  if (event.type.startsWith('saga.')) return String(p.sagaId);
  for (const field of ['taskId', 'actionId', 'documentId']) if (typeof p[field] === 'string') return p[field] as string;
  return String(p.sagaId ?? event.source);
};

/** The topics outcomes of the defined sagas' steps arrive on, besides the saga, task and decision topics. */
export const outcomeCategories = (definitions: Iterable<SagaDefinition>, catalog: SchemaCatalog): Set<EventCategory> => {
  const categories = new Set<EventCategory>(['saga', 'task', 'decision']);
  for (const d of definitions) {
    for (const step of d.steps.flat()) {
      for (const c of [step.command, step.compensation]) {
        if (c?.kind === 'event') for (const m of [...c.completedBy, ...(c.failedBy ?? [])]) categories.add(catalog.latest(m.type).category);
      }
    }
  }
  return categories;
};
