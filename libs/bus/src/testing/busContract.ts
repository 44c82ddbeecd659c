import type { AgentEvent } from '@agentbus/events';
import type { EventBus, HandlerContext } from '../eventBus';
import { parsePattern } from '../routing/routingPattern';

/**
 * One suite, every EventBus: the in-memory bus (unit) and the Kafka bus (integration) must
 * behave the same to an agent. A harness hands out bus instances that share one world.
 */
export interface ContractHarness {
  /** A bus instance; instances of one harness see the same events (like two processes). */
  bus(): Promise<EventBus>;
  /** Dead letters recorded so far, with the original event id when it could be decoded. */
  deadLetters(): Promise<{ eventId: string | undefined; code: string; reason: string }[]>;
  cleanup(): Promise<void>;
  /** How long to wait for asynchronous delivery. */
  timeoutMs: number;
}

export const eventually = async <T>(probe: () => T | Promise<T>, accept: (value: T) => boolean, timeoutMs: number, what: string): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!accept(last)) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 50));
    last = await probe();
  }
  return last;
};

const fastRetry = { initialDelayMs: 5, maxDelayMs: 20 };

const taskCreated = (taskId: string, priority = 'normal', domain: string | null = null) => ({
  type: 'task.created',
  source: 'did:agent:planner',
  payload: { taskId, description: `do ${taskId}`, priority, domain, requiredCapability: null, input: null },
});

export const describeEventBusContract = (name: string, createHarness: () => Promise<ContractHarness>): void => {
  describe(`EventBus contract: ${name}`, () => {
    let harness: ContractHarness;
    const wait = <T>(probe: () => T | Promise<T>, accept: (v: T) => boolean, what: string) => eventually(probe, accept, harness.timeoutMs, what);

    beforeEach(async () => {
      harness = await createHarness();
    });
    afterEach(async () => {
      await harness.cleanup();
    });

    it('delivers a published event, equal in envelope and payload, to matching patterns only', async () => {
      const bus = await harness.bus();
      const tasks: AgentEvent[] = [];
      const agents: AgentEvent[] = [];
      const subs = await Promise.all([
        bus.subscribe('task.*', (e) => void tasks.push(e), { name: 'tasks', retry: fastRetry }),
        bus.subscribe('agent.#', (e) => void agents.push(e), { name: 'agents', retry: fastRetry }),
      ]);
      await Promise.all(subs.map((s) => s.ready()));

      const published = await bus.publish(taskCreated('t-1', 'high', 'financial'));

      await wait(() => tasks.length, (n) => n === 1, 'task.* delivery');
      expect(tasks[0]).toEqual(published);
      expect(published.metadata.correlationId).toBe(published.id);
      expect(agents).toHaveLength(0);
    });

    it('returns from publish the event exactly as consumers receive it, schema defaults filled in', async () => {
      const bus = await harness.bus();
      const seen: AgentEvent[] = [];
      await (await bus.subscribe('task.created', (e) => void seen.push(e), { name: 'defaults', retry: fastRetry })).ready();

      const published = await bus.publish({ type: 'task.created', source: 'did:agent:planner', payload: { taskId: 't-min', description: 'minimal' } });

      expect(published.payload).toEqual({ taskId: 't-min', description: 'minimal', priority: 'normal', domain: null, requiredCapability: null, input: null });
      await wait(() => seen.length, (n) => n === 1, 'delivery');
      expect(seen[0]).toEqual(published);
    });

    it('filters on content, comparing enums by symbol order (the seed\'s $gte "high")', async () => {
      const bus = await harness.bus();
      const seen: string[] = [];
      const sub = await bus.subscribe({
        topic: 'task.created',
        filter: { 'payload.priority': { $gte: 'high' }, 'payload.domain': 'financial' },
        handler: (e) => void seen.push((e.payload as { taskId: string }).taskId),
        retry: fastRetry,
      });
      await sub.ready();

      await bus.publishMany([
        taskCreated('low', 'low', 'financial'),
        taskCreated('high', 'high', 'financial'),
        taskCreated('critical', 'critical', 'financial'),
        taskCreated('legal', 'critical', 'legal'),
        taskCreated('last', 'high', 'financial'),
      ]);

      await wait(() => seen.length, (n) => n >= 3, 'filtered deliveries');
      expect(seen.sort()).toEqual(['critical', 'high', 'last']);
    });

    it('carries correlation forward and sets causation across two hops', async () => {
      const bus = await harness.bus();
      const chain: AgentEvent[] = [];
      const subs = await Promise.all([
        bus.subscribe('task.created', async (e) => {
          await bus.publish({ type: 'task.assigned', source: 'did:agent:orchestrator', routingKey: 'task.assigned.worker-1', payload: { taskId: (e.payload as { taskId: string }).taskId, agentId: 'worker-1', assignedBy: 'orchestrator', deadline: null, attempt: 1 } });
        }, { name: 'hop1', retry: fastRetry }),
        bus.subscribe('task.assigned.worker-1', async (e) => {
          await bus.publish({ type: 'task.acknowledged', source: 'did:agent:worker-1', payload: { taskId: (e.payload as { taskId: string }).taskId, agentId: 'worker-1' } });
        }, { name: 'hop2', retry: fastRetry }),
        bus.subscribe('task.#', (e) => void chain.push(e), { name: 'observer', retry: fastRetry }),
      ]);
      await Promise.all(subs.map((s) => s.ready()));

      const root = await bus.publish(taskCreated('t-chain'));

      const events = await wait(() => chain, (c) => c.some((e) => e.type === 'task.acknowledged'), 'two hops');
      const assigned = events.find((e) => e.type === 'task.assigned')!;
      const acknowledged = events.find((e) => e.type === 'task.acknowledged')!;
      expect(assigned.routingKey).toBe('task.assigned.worker-1');
      expect(assigned.metadata).toMatchObject({ correlationId: root.id, causationId: root.id });
      expect(acknowledged.metadata).toMatchObject({ correlationId: root.id, causationId: assigned.id });
    });

    it('refuses an invalid event before sending, naming the field, and delivers nothing', async () => {
      const bus = await harness.bus();
      const seen: AgentEvent[] = [];
      const sub = await bus.subscribe('task.#', (e) => void seen.push(e), { name: 'invalid-watch', retry: fastRetry });
      await sub.ready();

      await expect(bus.publish({ ...taskCreated('bad'), payload: { taskId: 'bad', description: 'x', priority: 'urgent' } })).rejects.toMatchObject({
        code: 'EVENT_INVALID',
        message: expect.stringContaining('payload.priority'),
      });
      await expect(bus.publishMany([taskCreated('ok-but-batched'), { type: 'task.created', source: 's', payload: { description: 'no id' } }])).rejects.toMatchObject({
        code: 'EVENT_INVALID',
        message: expect.stringContaining('payload.taskId'),
      });
      await bus.publish(taskCreated('after'));

      await wait(() => seen.length, (n) => n >= 1, 'the valid event');
      expect(seen.map((e) => (e.payload as { taskId: string }).taskId)).toEqual(['after']);
    });

    it('retries a failing handler, then dead-letters the event and keeps consuming', async () => {
      const bus = await harness.bus();
      const attempts = new Map<string, number>();
      const handled: string[] = [];
      const sub = await bus.subscribe(
        'task.created',
        (e, ctx: HandlerContext) => {
          const id = (e.payload as { taskId: string }).taskId;
          attempts.set(id, ctx.attempt);
          if (id === 'poison') throw new Error('cannot handle poison');
          handled.push(id);
        },
        { name: 'retrying', retry: { ...fastRetry, maxAttempts: 3 } },
      );
      await sub.ready();

      const poison = await bus.publish(taskCreated('poison'));
      await bus.publish(taskCreated('healthy'));

      await wait(() => handled, (h) => h.includes('healthy'), 'the event after the poison one');
      const dead = await wait(() => harness.deadLetters(), (d) => d.length === 1, 'one dead letter');
      expect(attempts.get('poison')).toBe(3);
      expect(dead[0]).toMatchObject({ eventId: poison.id, code: 'HANDLER_FAILED', reason: expect.stringContaining('cannot handle poison') });
    });

    it('gives subscriptions whose default names used to collide a consumer group each: every one gets all of its events and none of the others\'', async () => {
      const bus = await harness.bus();
      // Pairs that were one name (task.any, task.a.b, task.) and so one competing group.
      const patterns = ['task.*', 'task.any', 'task.assigned.a:b', 'task.assigned.a.b', 'task.assigned.é', 'task.assigned.日本'];
      const seen = new Map<string, string[]>(patterns.map((p) => [p, []]));
      const subs = await Promise.all(patterns.map((p) => bus.subscribe(p, (e) => void seen.get(p)!.push(e.routingKey), { retry: fastRetry })));
      await Promise.all(subs.map((s) => s.ready()));
      expect(new Set(subs.map((s) => s.name)).size).toBe(patterns.length);

      const keys = ['task.created', 'task.any', 'task.assigned.a:b', 'task.assigned.a.b', 'task.assigned.é', 'task.assigned.日本'];
      const taskIds = Array.from({ length: 6 }, (_, i) => `t-${i}`);
      await bus.publishMany(keys.flatMap((routingKey) => taskIds.map((taskId) => ({ ...taskCreated(`${routingKey}/${taskId}`), routingKey }))));

      const expected = (pattern: string) => keys.filter((k) => parsePattern(pattern).matches(k)).flatMap((k) => taskIds.map(() => k)).sort();
      const complete = () => patterns.every((p) => seen.get(p)!.length >= expected(p).length);
      // In a shared group the members split the events: each would miss some of its own and get some of the other's.
      await wait(complete, (done) => done, 'every subscription\'s events');
      for (const pattern of patterns) expect({ pattern, keys: [...seen.get(pattern)!].sort() }).toEqual({ pattern, keys: expected(pattern) });
    });

    it('refuses a second subscription under the same name with another pattern, naming both; the same pattern joins the group', async () => {
      const bus = await harness.bus();
      const first = await bus.subscribe('task.*', () => undefined, { name: 'watchers', retry: fastRetry });
      await expect(bus.subscribe('agent.#', () => undefined, { name: 'watchers', retry: fastRetry })).rejects.toMatchObject({
        code: 'SUBSCRIPTION_NAME_CONFLICT',
        message: expect.stringMatching(/"watchers".*"task\.\*".*"agent\.#"/),
      });
      const second = await bus.subscribe('task.*', () => undefined, { name: 'watchers', retry: fastRetry });
      await Promise.all([first.unsubscribe(), second.unsubscribe()]);
      const renamed = await bus.subscribe('agent.#', () => undefined, { name: 'watchers', retry: fastRetry });
      await renamed.unsubscribe();
    });

    it('competing instances share the work once; broadcast instances each get everything', async () => {
      const [a, b] = [await harness.bus(), await harness.bus()];
      const competing: string[] = [];
      const broadcast = { a: [] as string[], b: [] as string[] };
      const id = (e: AgentEvent) => (e.payload as { taskId: string }).taskId;
      const subs = await Promise.all([
        a.subscribe('task.created', (e) => void competing.push(id(e)), { name: 'workers', retry: fastRetry }),
        b.subscribe('task.created', (e) => void competing.push(id(e)), { name: 'workers', retry: fastRetry }),
        a.subscribe('task.created', (e) => void broadcast.a.push(id(e)), { name: 'everyone', mode: 'broadcast', retry: fastRetry }),
        b.subscribe('task.created', (e) => void broadcast.b.push(id(e)), { name: 'everyone', mode: 'broadcast', retry: fastRetry }),
      ]);
      await Promise.all(subs.map((s) => s.ready()));

      const ids = Array.from({ length: 12 }, (_, i) => `t-${i}`);
      await a.publishMany(ids.map((t) => taskCreated(t)));

      await wait(() => ({ c: competing.length, x: broadcast.a.length, y: broadcast.b.length }), ({ c, x, y }) => c >= 12 && x >= 12 && y >= 12, 'all deliveries');
      expect([...competing].sort()).toEqual([...ids].sort());
      expect([...broadcast.a].sort()).toEqual([...ids].sort());
      expect([...broadcast.b].sort()).toEqual([...ids].sort());
    });
  });
};
