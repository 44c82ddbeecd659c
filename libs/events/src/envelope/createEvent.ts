import type { AgentEvent, EventMetadata } from './agentEvent';
import { newEventId } from './ids';

export interface NewEvent<TType extends string, TPayload> {
  type: TType;
  source: string;
  payload: TPayload;
  routingKey?: string;
  correlationId?: string;
  causationId?: string;
  version?: string;
  id?: string;
}

export interface EventClock {
  now: () => number;
  newId?: (now: number) => string;
}

const systemClock: EventClock = { now: () => Date.now() };

/**
 * Builds an envelope. An event with no correlation starts a workflow: its own id becomes the
 * correlationId so every descendant can be traced back to it.
 */
export const createEvent = <TType extends string, TPayload>(
  input: NewEvent<TType, TPayload>,
  clock: EventClock = systemClock,
): AgentEvent<TType, TPayload> => {
  const timestamp = clock.now();
  const id = input.id ?? (clock.newId ?? newEventId)(timestamp);
  const metadata: EventMetadata = {
    correlationId: input.correlationId ?? id,
    version: input.version ?? '1',
  };
  if (input.causationId !== undefined) metadata.causationId = input.causationId;
  return {
    id,
    type: input.type,
    source: input.source,
    timestamp,
    routingKey: input.routingKey ?? input.type,
    payload: input.payload,
    metadata,
  };
};

/** Correlation for an event caused by `cause`: same workflow, and `cause` as its direct parent. */
export const causedBy = (cause: Pick<AgentEvent, 'id' | 'metadata'>): { correlationId: string; causationId: string } => ({
  correlationId: cause.metadata.correlationId ?? cause.id,
  causationId: cause.id,
});
