import { newEventId, type AgentEvent } from '@agentbus/events';

/** Anything that publishes, e.g. an EventBus: the SDK side of starting a saga. */
export interface SagaPublisher {
  publish(event: { type: string; source: string; payload: unknown }): Promise<AgentEvent>;
}

export interface SagaRequest {
  sagaName: string;
  input: unknown;
  /** Who asks; also the event's source. */
  requestedBy: string;
  /** Defaults to a new ULID. Requesting the same id again starts the saga once. */
  sagaId?: string;
}

/** Publishes workflow.requested; the saga orchestrator starts the saga. Resolves with its id and the event. */
export const requestSaga = async (bus: SagaPublisher, request: SagaRequest): Promise<{ sagaId: string; event: AgentEvent }> => {
  const sagaId = request.sagaId ?? newEventId();
  const event = await bus.publish({
    type: 'workflow.requested',
    source: request.requestedBy,
    payload: { sagaId, sagaName: request.sagaName, input: JSON.stringify(request.input ?? null), requestedBy: request.requestedBy },
  });
  return { sagaId, event };
};
