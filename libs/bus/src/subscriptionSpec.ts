import type { AgentEvent, EventCategory } from '@agentbus/events';
import { verificationModes, type VerificationMode } from '@agentbus/identity';
import type { SchemaCatalog } from '@agentbus/codec';
import type { EventHandler, SubscribeOptions, SubscriptionMode, SubscriptionSpec } from './eventBus';
import { InvalidFilterError, InvalidPatternError, InvalidVerificationError } from './errors';
import { compileFilter } from './routing/contentFilter';
import { enumPathsOf } from './routing/enumPaths';
import { parsePattern, type RoutingPattern } from './routing/routingPattern';
import type { Routes } from './routing/routes';
import { defaultRetryPolicy, type RetryPolicy } from '@agentbus/retry';
import { defaultSubscriptionName, selection } from './subscriptionName';

export interface ResolvedSubscription {
  name: string;
  pattern: RoutingPattern;
  /** The pattern and filter as one canonical string: two subscriptions select the same events when these are equal. */
  selects: string;
  categories: EventCategory[];
  matches: (event: AgentEvent) => boolean;
  handler: EventHandler;
  mode: SubscriptionMode;
  fromBeginning: boolean;
  maxInFlight: number;
  retry: RetryPolicy;
  /** Unset: the bus's default. */
  verify?: VerificationMode;
}

export const defaultMaxInFlight = 1000;

export const normalizeSubscribeArgs = (
  patternOrSpec: string | SubscriptionSpec,
  handler?: EventHandler,
  options: SubscribeOptions = {},
): SubscriptionSpec => {
  if (typeof patternOrSpec === 'string') {
    if (typeof handler !== 'function') throw new InvalidPatternError(patternOrSpec, 'subscribe(pattern, handler) needs a handler function');
    return { ...options, topic: patternOrSpec, handler };
  }
  if (!patternOrSpec || typeof patternOrSpec.topic !== 'string') throw new InvalidPatternError(String(patternOrSpec?.topic), 'subscribe({ topic, handler }) needs a topic pattern');
  if (typeof patternOrSpec.handler !== 'function') throw new InvalidPatternError(patternOrSpec.topic, 'subscribe({ topic, handler }) needs a handler function');
  return patternOrSpec;
};

/** Everything about a subscription that can be wrong is found here, before any consumer starts. */
export const resolveSubscription = (spec: SubscriptionSpec, routes: Routes, catalog: SchemaCatalog): ResolvedSubscription => {
  const pattern = parsePattern(spec.topic);
  const categories = routes.categoriesFor(pattern);
  const schemas = catalog.schemas.filter((s) => categories.includes(s.category));
  const filter = compileFilter(spec.filter, enumPathsOf(schemas));
  const maxInFlight = spec.maxInFlight ?? defaultMaxInFlight;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new InvalidFilterError('maxInFlight', `must be a positive integer, got ${spec.maxInFlight}`);
  const retry = { ...defaultRetryPolicy, ...spec.retry };
  if (!Number.isInteger(retry.maxAttempts) || retry.maxAttempts < 1) throw new InvalidFilterError('retry.maxAttempts', `must be a positive integer, got ${retry.maxAttempts}`);
  if (spec.verify !== undefined && !(verificationModes as readonly unknown[]).includes(spec.verify)) {
    throw new InvalidVerificationError('verify', `must be one of ${verificationModes.join(', ')}, got ${JSON.stringify(spec.verify)}`);
  }
  const mode = spec.mode ?? 'competing';
  return {
    name: spec.name ?? defaultSubscriptionName(spec.topic, spec.filter),
    pattern,
    selects: selection(spec.topic, spec.filter),
    categories,
    matches: (event) => pattern.matches(event.routingKey) && filter(event),
    handler: spec.handler as EventHandler,
    mode,
    fromBeginning: spec.fromBeginning ?? mode === 'competing',
    maxInFlight,
    retry,
    ...(spec.verify === undefined ? {} : { verify: spec.verify }),
  };
};
