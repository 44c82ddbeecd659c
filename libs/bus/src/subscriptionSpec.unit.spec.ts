import { loadSchemaCatalog } from '@agentbus/codec';
import { AgentbusError, type AgentEvent } from '@agentbus/events';
import { defaultRetryPolicy } from '@agentbus/retry';
import { routesFromCatalog } from './routing/routes';
import { defaultMaxInFlight, normalizeSubscribeArgs, resolveSubscription } from './subscriptionSpec';
import type { SubscriptionSpec } from './eventBus';
import { thrownBy } from '@agentbus/testing';

const catalog = loadSchemaCatalog();
const routes = routesFromCatalog(catalog);
const handler = () => undefined;
const resolve = (spec: Omit<SubscriptionSpec, 'handler'>) => resolveSubscription({ handler, ...spec }, routes, catalog);

const thrown = (fn: () => unknown): AgentbusError => thrownBy(fn, AgentbusError);

const event = (routingKey: string, priority: string): AgentEvent => ({
  id: 'E',
  type: 'task.created',
  source: 's',
  timestamp: 1,
  routingKey,
  payload: { taskId: 't', priority },
  metadata: { version: '1' },
});

describe('resolveSubscription', () => {
  it.each([
    ['task.*', 'task._any'],
    ['#', '_all'],
    ['task.#', 'task._all'],
    ['agent.*.memory', 'agent._any.memory'],
  ])('names %s %s by default', (topic, name) => {
    expect(resolve({ topic }).name).toBe(name);
  });

  it('keeps an explicit name', () => {
    expect(resolve({ topic: 'task.*', name: 'planner', filter: { source: 'x' } }).name).toBe('planner');
  });

  it('adds a stable 16-hex suffix for a filter', () => {
    const high = () => resolve({ topic: 'task.*', filter: { 'payload.priority': { $gte: 'high' } } }).name;
    const low = resolve({ topic: 'task.*', filter: { 'payload.priority': { $lte: 'low' } } }).name;
    expect(high()).toMatch(/^task\._any\._filter-[0-9a-f]{16}$/);
    expect(high()).toBe(high());
    expect(low).toMatch(/^task\._any\._filter-[0-9a-f]{16}$/);
    expect(low).not.toBe(high());
  });

  it('defaults to a competing subscription read from the beginning', () => {
    expect(resolve({ topic: 'task.*' })).toMatchObject({ mode: 'competing', fromBeginning: true, maxInFlight: defaultMaxInFlight, retry: defaultRetryPolicy });
  });

  it('defaults a broadcast subscription to the end, unless told otherwise', () => {
    expect(resolve({ topic: 'system.*', mode: 'broadcast' })).toMatchObject({ mode: 'broadcast', fromBeginning: false });
    expect(resolve({ topic: 'system.*', mode: 'broadcast', fromBeginning: true }).fromBeginning).toBe(true);
    expect(resolve({ topic: 'task.*', fromBeginning: false }).fromBeginning).toBe(false);
  });

  it('merges a partial retry policy over the defaults', () => {
    expect(resolve({ topic: 'task.*', retry: { maxAttempts: 2 } }).retry).toEqual({ ...defaultRetryPolicy, maxAttempts: 2 });
  });

  it('reads only the categories the pattern can match', () => {
    expect(resolve({ topic: 'task.*' }).categories).toEqual(['task']);
  });

  it('matches on routing key and filter together', () => {
    const { matches } = resolve({ topic: 'task.*', filter: { 'payload.priority': { $gte: 'high' } } });
    expect(matches(event('task.created', 'critical'))).toBe(true);
    expect(matches(event('task.created', 'normal'))).toBe(false);
    expect(matches(event('task.assigned.a1', 'critical'))).toBe(false);
  });

  it.each([0, -1, 2.5])('refuses maxInFlight %p', (maxInFlight) => {
    const error = thrown(() => resolve({ topic: 'task.*', maxInFlight }));
    expect(error.message).toContain('maxInFlight');
    expect(error.message).toContain(`got ${maxInFlight}`);
  });

  it('refuses retry.maxAttempts 0', () => {
    expect(thrown(() => resolve({ topic: 'task.*', retry: { maxAttempts: 0 } })).message).toContain('retry.maxAttempts');
  });

  it('refuses a bad pattern or filter before anything starts', () => {
    expect(thrown(() => resolve({ topic: 'task..x' })).code).toBe('INVALID_ROUTING_PATTERN');
    expect(thrown(() => resolve({ topic: 'foo.*' })).code).toBe('INVALID_ROUTING_PATTERN');
    expect(thrown(() => resolve({ topic: 'task.*', filter: { 'payload.priority': { $gte: 'urgent' } } })).code).toBe('INVALID_CONTENT_FILTER');
  });
});

describe('normalizeSubscribeArgs', () => {
  it('turns (pattern, handler, options) into a spec', () => {
    expect(normalizeSubscribeArgs('task.*', handler, { mode: 'broadcast' })).toEqual({ topic: 'task.*', handler, mode: 'broadcast' });
  });

  it('passes a spec through', () => {
    const spec = { topic: 'task.*', handler };
    expect(normalizeSubscribeArgs(spec)).toBe(spec);
  });

  it.each<[string, () => unknown, string]>([
    ['a pattern without a handler', () => normalizeSubscribeArgs('task.*'), 'subscribe(pattern, handler) needs a handler function'],
    ['a spec without a handler', () => normalizeSubscribeArgs({ topic: 'task.*' } as SubscriptionSpec), 'subscribe({ topic, handler }) needs a handler function'],
    ['a spec without a topic', () => normalizeSubscribeArgs({ handler } as unknown as SubscriptionSpec), 'needs a topic pattern'],
  ])('refuses %s with a clear message', (_name, call, message) => {
    const error = thrown(call);
    expect(error.code).toBe('INVALID_ROUTING_PATTERN');
    expect(error.message).toContain(message);
  });
});
