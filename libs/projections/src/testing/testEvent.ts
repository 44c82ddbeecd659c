import { createEvent, eventSchemaVersions, type AgentEvent, type EventPayloads, type EventType } from '@agentbus/events';

export interface TestEventOptions {
  /** Epoch ms; defaults to testEventTime. */
  at?: number;
  /** Defaults to a hash of type, payload and time: stable across runs, distinct for distinct events. */
  id?: string;
  correlationId?: string;
  causationId?: string;
  source?: string;
}

export const testEventTime = Date.UTC(2025, 0, 1);

const fnv1a = (text: string): string => {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return (hash >>> 0).toString(16).padStart(8, '0');
};

/** A typed event of the newest schema version, with deterministic id and timestamp, for projection tests. */
export const testEvent = <TType extends EventType>(
  type: TType,
  payload: EventPayloads[TType],
  options: TestEventOptions = {},
): AgentEvent<TType, EventPayloads[TType]> => {
  const at = options.at ?? testEventTime;
  const id = options.id ?? `evt-${fnv1a(JSON.stringify([type, payload, at]))}`;
  return createEvent(
    {
      type,
      source: options.source ?? 'did:agent:test',
      payload,
      id,
      correlationId: options.correlationId,
      causationId: options.causationId,
      version: String(eventSchemaVersions[type]),
    },
    { now: () => at },
  );
};
