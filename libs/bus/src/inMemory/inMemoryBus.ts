import { avroRoundTrip, loadSchemaCatalog, type SchemaCatalog } from '@agentbus/codec';
import { isAgentbusError, type AgentEvent, type EventClock } from '@agentbus/events';
import type { CloseOptions, EventBus, EventHandler, PublishInput, PublishOptions, SubscribeOptions, Subscription, SubscriptionSpec } from '../eventBus';
import { BusClosedError } from '../errors';
import { childTraceparent, newTraceparent } from '../context/traceparent';
import { currentHandling, runHandling } from '../context/eventContext';
import { entityKey, prepareEvent } from '../publishing';
import { retry } from '@agentbus/retry';
import { routesFromCatalog, type Routes } from '../routing/routes';
import { SubscriptionNames } from '../subscriptionName';
import { normalizeSubscribeArgs, resolveSubscription, type ResolvedSubscription } from '../subscriptionSpec';

export interface InMemoryDeadLetter {
  event: AgentEvent;
  subscription: string;
  error: unknown;
  attempts: number;
}

export interface InMemoryBusOptions {
  catalog?: SchemaCatalog;
  clock?: EventClock;
  /** Retry delays are real sleeps scaled by this factor; tests use 0. */
  retryDelayScale?: number;
}

interface Member {
  sub: ResolvedSubscription;
  active: boolean;
}

/**
 * The EventBus contract without Kafka: same validation (Avro, routing keys), routing, filters,
 * causation, retries and dead letters, delivered asynchronously. For unit tests of agents.
 */
export class InMemoryEventBus implements EventBus {
  readonly published: AgentEvent[] = [];
  readonly deadLetters: InMemoryDeadLetter[] = [];
  private readonly catalog: SchemaCatalog;
  private readonly routes: Routes;
  private readonly groups = new Map<string, { members: Member[]; next: number }>();
  private readonly pending = new Set<Promise<void>>();
  private readonly names = new SubscriptionNames();
  private closed = false;

  constructor(private readonly options: InMemoryBusOptions = {}) {
    this.catalog = options.catalog ?? loadSchemaCatalog();
    this.routes = routesFromCatalog(this.catalog);
  }

  async publish(input: PublishInput, _options?: PublishOptions): Promise<AgentEvent> {
    const [event] = await this.publishMany([input]);
    return event!;
  }

  async publishMany(inputs: readonly PublishInput[]): Promise<AgentEvent[]> {
    if (this.closed) throw new BusClosedError('publish');
    const events = inputs.map((input) => {
      const event = prepareEvent(input, this.options.clock);
      this.routes.assertRoutingKey(event.type, event.routingKey);
      return avroRoundTrip(this.catalog, event);
    });
    const traceparent = childTraceparent(currentHandling()?.traceparent);
    for (const event of events) {
      this.published.push(event);
      this.dispatch(event, traceparent);
    }
    return events;
  }

  /** The seed's harness: deliver an event as if another agent had published it. */
  simulate(input: PublishInput): Promise<AgentEvent> {
    return this.publish(input);
  }

  subscribe(pattern: string, handler: EventHandler, options?: SubscribeOptions): Promise<Subscription>;
  subscribe(spec: SubscriptionSpec): Promise<Subscription>;
  async subscribe(patternOrSpec: string | SubscriptionSpec, handler?: EventHandler, options?: SubscribeOptions): Promise<Subscription> {
    if (this.closed) throw new BusClosedError('subscribe');
    const sub = resolveSubscription(normalizeSubscribeArgs(patternOrSpec, handler, options), this.routes, this.catalog);
    const release = this.names.claim(sub);
    const member: Member = { sub, active: true };
    const groupKey = sub.mode === 'broadcast' ? `${sub.name}#${Math.random()}` : sub.name;
    const group = this.groups.get(groupKey) ?? { members: [], next: 0 };
    group.members.push(member);
    this.groups.set(groupKey, group);
    return {
      name: sub.name,
      pattern: sub.pattern.source,
      mode: sub.mode,
      ready: async () => undefined,
      unsubscribe: async () => {
        member.active = false;
        release();
      },
    };
  }

  /** Resolves when every delivery so far, and everything those handlers published, is done. */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  async close(_options?: CloseOptions): Promise<void> {
    await this.drain();
    this.closed = true;
  }

  private dispatch(event: AgentEvent, traceparent: string): void {
    const key = entityKey(event);
    for (const group of this.groups.values()) {
      const members = group.members.filter((m) => m.active);
      if (members.length === 0 || !members[0]!.sub.matches(event)) continue;
      // Competing members split the stream by key, as Kafka partitions would.
      const member = members.length === 1 ? members[0]! : members[hash(key) % members.length]!;
      const delivery = this.deliver(member.sub, event, traceparent).finally(() => this.pending.delete(delivery));
      this.pending.add(delivery);
    }
  }

  private async deliver(sub: ResolvedSubscription, event: AgentEvent, parentTrace: string): Promise<void> {
    await Promise.resolve();
    const traceparent = childTraceparent(parentTrace ?? newTraceparent());
    let attempts = 0;
    const scale = this.options.retryDelayScale ?? 0;
    try {
      await retry(
        (attempt) => {
          attempts = attempt;
          const context = { topic: `memory.${event.type.split('.')[0]}`, partition: 0, offset: String(this.published.indexOf(event)), attempt, traceparent, headers: {} };
          return runHandling(event, traceparent, () => sub.handler(event, context));
        },
        {
          policy: { ...sub.retry, initialDelayMs: sub.retry.initialDelayMs * scale, maxDelayMs: sub.retry.maxDelayMs * scale },
          maxAttempts: sub.retry.maxAttempts,
          isRetriable: (error) => !isAgentbusError(error) || error.retriable,
        },
      );
    } catch (error) {
      this.deadLetters.push({ event, subscription: sub.name, error, attempts });
    }
  }
}

const hash = (text: string): number => {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(31, h) + text.charCodeAt(i)) | 0;
  return Math.abs(h);
};
