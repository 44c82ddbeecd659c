/**
 * The seed's event envelope. An event is an immutable record of something that happened.
 * `routingKey` goes beyond the seed: dotted words that subscriptions match (`task.assigned.agent-7`);
 * it defaults to `type`.
 */
export interface EventMetadata {
  /** Shared by every event of one workflow. */
  correlationId?: string;
  /** The id of the event that caused this one. */
  causationId?: string;
  /** Schema version of the payload, e.g. "1". */
  version: string;
}

export interface AgentEvent<TType extends string = string, TPayload = unknown> {
  id: string;
  type: TType;
  /** The originating agent's id (a DID in the seed). */
  source: string;
  /** Unix epoch milliseconds. */
  timestamp: number;
  routingKey: string;
  payload: TPayload;
  metadata: EventMetadata;
}
