import { createEvent, type AgentEvent, type EventClock } from '@agentbus/events';
import type { PublishInput } from './eventBus';
import { inheritedCorrelation } from './context/eventContext';

const isComplete = (input: PublishInput): input is AgentEvent =>
  typeof (input as AgentEvent).id === 'string' && typeof (input as AgentEvent).timestamp === 'number' && typeof (input as AgentEvent).metadata === 'object';

/**
 * Turns what a caller hands to publish into a full envelope. Inside a handler, correlation is
 * inherited: the new event joins the handled event's workflow and names it as its cause.
 */
export const prepareEvent = (input: PublishInput, clock?: EventClock): AgentEvent => {
  if (isComplete(input)) {
    const correlation = inheritedCorrelation(input.metadata ?? {});
    return { ...input, routingKey: input.routingKey ?? input.type, metadata: { ...input.metadata, ...correlation } };
  }
  const correlation = inheritedCorrelation(input);
  return createEvent({ ...input, ...correlation }, clock);
};

const keyFields = ['taskId', 'agentId', 'sagaId', 'actionId', 'documentId', 'invocationId'] as const;

/** The Kafka key: the entity the event is about, so one entity's events stay in order on one partition. */
export const entityKey = (event: AgentEvent): string => {
  const payload = (event.payload ?? {}) as Record<string, unknown>;
  for (const field of keyFields) {
    const value = payload[field];
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return event.source;
};
