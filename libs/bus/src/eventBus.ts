import type { AgentEvent, NewEvent } from '@agentbus/events';
import type { ContentFilter } from './routing/contentFilter';
import type { RetryPolicy } from '@agentbus/retry';
import type { VerificationMode } from '@agentbus/identity';

export interface HandlerContext {
  topic: string;
  partition: number;
  offset: string;
  /** 1 on first delivery; counts this handler's retries of this event. */
  attempt: number;
  /** W3C traceparent of this handling; publishes from the handler continue the trace. */
  traceparent: string;
  headers: Readonly<Record<string, string>>;
}

export type EventHandler<E extends AgentEvent = AgentEvent> = (event: E, context: HandlerContext) => Promise<void> | void;

/**
 * competing: one consumer group per service and subscription; instances share the partitions.
 * broadcast: a group per instance; every instance sees every event (e.g. system.shutdown).
 */
export type SubscriptionMode = 'competing' | 'broadcast';

export interface SubscribeOptions {
  filter?: ContentFilter;
  /** Unique within a service; names the consumer group. Defaults to one derived from pattern and filter. */
  name?: string;
  mode?: SubscriptionMode;
  /** Where a new consumer group starts. Competing defaults to the beginning, broadcast to the end. */
  fromBeginning?: boolean;
  /** Events fetched but not yet handled before fetching pauses. */
  maxInFlight?: number;
  retry?: Partial<RetryPolicy>;
  /**
   * Signature check on read (Kafka bus; default: the bus's `verify`, else off). `require`
   * dead-letters a record refused for who wrote it and publishes violation.detected; `warn` logs
   * and delivers. The in-memory bus carries no signatures and ignores it.
   */
  verify?: VerificationMode;
}

export interface SubscriptionSpec<E extends AgentEvent = AgentEvent> extends SubscribeOptions {
  /** Routing pattern: `task.*`, `agent.#`, `#`. The seed calls it the topic. */
  topic: string;
  handler: EventHandler<E>;
}

export interface Subscription {
  readonly name: string;
  readonly pattern: string;
  readonly mode: SubscriptionMode;
  /** Resolves once the subscription receives events (its consumer has joined its group). */
  ready(): Promise<void>;
  unsubscribe(): Promise<void>;
}

/** A complete event, or the parts of a new one: id, timestamp and correlation are filled in. */
export type PublishInput = AgentEvent | NewEvent<string, unknown>;

export interface PublishOptions {
  /** Kafka message key; defaults to the event's entity id (see entityKey). */
  key?: string;
}

export interface CloseOptions {
  /** How long in-flight handlers may take before the bus disconnects anyway. */
  deadlineMs?: number;
}

/** The port every agent and service talks to. Kafka and the in-memory bus implement it. */
export interface EventBus {
  publish(event: PublishInput, options?: PublishOptions): Promise<AgentEvent>;
  /** Validates all first: if one is invalid, none is sent. */
  publishMany(events: readonly PublishInput[]): Promise<AgentEvent[]>;
  subscribe(pattern: string, handler: EventHandler, options?: SubscribeOptions): Promise<Subscription>;
  subscribe(spec: SubscriptionSpec): Promise<Subscription>;
  close(options?: CloseOptions): Promise<void>;
}
