import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultSchemasDir, loadSchemaCatalog } from '@agentbus/codec';
import type { AgentEvent } from '@agentbus/events';
import type { HandlerContext } from '../eventBus';
import { registryProxy } from '@agentbus/testing';
import { eventually } from '../testing';
import { traceIdOf } from '../context/traceparent';
import { groupCaughtUp } from '@agentbus/testing';
import { kafkaWorld } from './kafkaWorld.spec-support';

const fastRetry = { initialDelayMs: 5, maxDelayMs: 20 };
const taskId = (e: AgentEvent) => (e.payload as { taskId: string }).taskId;
const taskCreated = (id: string, description = `do ${id}`) => ({
  type: 'task.created',
  source: 'did:agent:planner',
  payload: { taskId: id, description, priority: 'normal', domain: null, requiredCapability: null, input: null },
});
const wait = <T>(probe: () => T | Promise<T>, accept: (v: T) => boolean, what: string) => eventually(probe, accept, 30_000, what);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('Kafka bus delivery guarantees', () => {
  let world: Awaited<ReturnType<typeof kafkaWorld>>;
  beforeEach(async () => {
    world = await kafkaWorld('delivery');
  });
  afterEach(async () => {
    await world.cleanup();
  });

  it('sends undecodable records to the dead-letter topic with the reason and original bytes, and keeps consuming', async () => {
    const bus = await world.bus();
    const seen: string[] = [];
    await (await bus.subscribe('task.#', (e) => void seen.push(taskId(e)), { name: 'garbage-proof', retry: fastRetry })).ready();

    const garbage = [Buffer.from('not avro at all'), Buffer.from([0, 0x7f, 0xff, 0xff, 0x0f, 1, 2, 3]), Buffer.from([1, 0, 0, 0, 1, 2])];
    const producer = world.topics.kafka.producer();
    await producer.connect();
    await producer.send({ topic: `${world.topics.prefix}.task`, messages: garbage.map((value, i) => ({ key: `junk-${i}`, value })) });
    await producer.disconnect();
    await bus.publish(taskCreated('valid-after-garbage'));

    await wait(() => seen, (s) => s.includes('valid-after-garbage'), 'the valid event');
    const dead = await wait(() => world.deadLetters.list(), (d) => d.length === 3, 'three dead letters');
    const byKey = new Map(dead.map((d) => [d.key, d]));
    expect(dead.every((d) => d.code === 'EVENT_UNDECODABLE' && d.sourceTopic === `${world.topics.prefix}.task`)).toBe(true);
    expect(byKey.get('junk-0')!.reason).toContain('wrong magic byte 110');
    expect(byKey.get('junk-1')!.reason).toContain('unknown schema id 2147483407');
    expect(byKey.get('junk-2')!.reason).toContain('wrong magic byte 1');
    garbage.forEach((bytes, i) => expect(byKey.get(`junk-${i}`)!.value).toEqual(bytes));
    expect(byKey.get('junk-1')!.subscription).toBe('garbage-proof');
  });

  it('pauses fetching when in-flight events pile up and resumes when drained, losing and duplicating nothing', async () => {
    const bus = await world.bus();
    const handled: AgentEvent[] = [];
    const pressure: AgentEvent[] = [];
    await (await bus.subscribe('agent.backpressure', (e) => void pressure.push(e), { name: 'pressure-watch' })).ready();
    await (
      await bus.subscribe(
        'task.created',
        async (e) => {
          await sleep(15);
          handled.push(e);
        },
        { name: 'slow', maxInFlight: 5, retry: fastRetry },
      )
    ).ready();

    const keys = ['a', 'b', 'c', 'd'];
    const published = await bus.publishMany(Array.from({ length: 60 }, (_, i) => taskCreated(keys[i % 4]!, `seq-${String(i).padStart(2, '0')}`)));

    await wait(() => handled.length, (n) => n >= 60, '60 handled');
    await wait(() => pressure.map((p) => (p.payload as { state: string }).state), (s) => s.includes('paused') && s.includes('resumed'), 'paused and resumed reports');
    await wait(() => groupCaughtUp(world.topics.kafka, `${world.topics.prefix}.contract.slow`, `${world.topics.prefix}.task`), (done) => done, 'the slow subscription to commit to the end');
    expect(handled).toHaveLength(60);
    expect(new Set(handled.map((e) => e.id))).toEqual(new Set(published.map((e) => e.id)));
    for (const key of keys) {
      const order = handled.filter((e) => taskId(e) === key).map((e) => (e.payload as { description: string }).description);
      expect(order).toEqual([...order].sort());
    }
    const paused = pressure.find((p) => (p.payload as { state: string }).state === 'paused')!.payload as Record<string, unknown>;
    const resumed = pressure.find((p) => (p.payload as { state: string }).state === 'resumed')!.payload as Record<string, unknown>;
    expect(paused).toMatchObject({ agentId: 'contract', subscription: 'slow', maxInFlight: 5, pausedMs: null });
    expect(paused.queueSize as number).toBeGreaterThanOrEqual(5);
    expect(resumed).toMatchObject({ subscription: 'slow', maxInFlight: 5 });
    expect(resumed.pausedMs as number).toBeGreaterThanOrEqual(0);
    expect(resumed.queueSize as number).toBeLessThanOrEqual(2);
  });

  it('on close, finishes in-flight handlers and commits, so the next instance neither loses nor repeats', async () => {
    const first = await world.bus('closer');
    const started: string[] = [];
    const finished: string[] = [];
    const slow = async (e: AgentEvent) => {
      started.push(e.id);
      await sleep(250);
      finished.push(e.id);
    };
    await (await first.subscribe('task.created', slow, { name: 'work', retry: fastRetry })).ready();
    const published = await first.publishMany(Array.from({ length: 10 }, (_, i) => taskCreated('same-key', `n${i}`)));
    await wait(() => finished.length, (n) => n >= 2, 'two handled');

    const closing = Date.now();
    await first.close({ deadlineMs: 5000 });
    expect(Date.now() - closing).toBeLessThan(5000);
    expect(finished).toEqual(started);
    const handledByFirst = finished.length;
    expect(handledByFirst).toBeLessThan(10);

    const second = await world.bus('closer');
    await second.subscribe('task.created', slow, { name: 'work', retry: fastRetry });
    await wait(() => finished.length, (n) => n >= 10, 'the rest handled by the next instance');
    await wait(() => groupCaughtUp(world.topics.kafka, `${world.topics.prefix}.closer.work`, `${world.topics.prefix}.task`), (done) => done, 'the next instance to commit to the end');
    expect(finished).toHaveLength(10);
    expect(new Set(finished)).toEqual(new Set(published.map((e) => e.id)));
  });

  it('reads across schema versions in both directions (v1 writer to v2 reader, v2 writer to v1 reader)', async () => {
    const oldDir = mkdtempSync(join(tmpdir(), 'agentbus-v1-'));
    cpSync(defaultSchemasDir(), oldDir, { recursive: true });
    rmSync(join(oldDir, 'task', 'task.completed.v2.avsc'));
    try {
      const modern = await world.bus('modern');
      const legacy = await world.bus('legacy', { catalog: loadSchemaCatalog(oldDir) });
      const seenByModern: AgentEvent[] = [];
      const seenByLegacy: AgentEvent[] = [];
      await (await modern.subscribe('task.completed', (e) => void seenByModern.push(e), { name: 'v2-reader' })).ready();
      await (await legacy.subscribe('task.completed', (e) => void seenByLegacy.push(e), { name: 'v1-reader' })).ready();

      const fromLegacy = await legacy.publish({ type: 'task.completed', source: 'old', payload: { taskId: 'old', result: { status: 'success', output: '{}' } } });
      const fromModern = await modern.publish({
        type: 'task.completed',
        source: 'new',
        payload: { taskId: 'new', result: { status: 'partial', output: '{"n":1}', metrics: { durationMs: 1523, tokensUsed: 450 } } },
      });

      await wait(() => [seenByModern.length, seenByLegacy.length], ([m, l]) => m! >= 2 && l! >= 2, 'both readers');
      const modernView = (id: string) => seenByModern.find((e) => e.id === id)!;
      const legacyView = (id: string) => seenByLegacy.find((e) => e.id === id)!;
      expect(fromLegacy.metadata.version).toBe('1');
      expect(modernView(fromLegacy.id).payload).toEqual({ taskId: 'old', result: { status: 'success', output: '{}', metrics: null } });
      expect(legacyView(fromModern.id).payload).toEqual({ taskId: 'new', result: { status: 'partial', output: '{"n":1}' } });
      expect(modernView(fromModern.id).payload).toEqual(fromModern.payload);
    } finally {
      rmSync(oldDir, { recursive: true, force: true });
    }
  });

  it('re-publishes dead letters to their topic once per source record, where a fixed handler then succeeds', async () => {
    const bus = await world.bus();
    let fixed = false;
    const handled: string[] = [];
    const buggy = (e: AgentEvent) => {
      if (!fixed) throw new Error('bug in handler');
      handled.push(e.id);
    };
    await (await bus.subscribe('task.created', buggy, { name: 'buggy', retry: { ...fastRetry, maxAttempts: 2 } })).ready();
    await (await bus.subscribe('task.#', () => Promise.reject(new Error('also buggy')), { name: 'other', retry: { ...fastRetry, maxAttempts: 1 } })).ready();
    const event = await bus.publish(taskCreated('needs-fix'));
    const dead = await wait(() => bus.deadLetters.list(), (d) => d.length === 2, 'a dead letter from each subscription');
    expect(dead.map((d) => d.subscription).sort()).toEqual(['buggy', 'other']);

    fixed = true;
    const republished = await bus.deadLetters.republish();

    expect(republished.map((d) => d.event?.id)).toEqual([event.id]);
    await wait(() => handled, (h) => h.includes(event.id), 'the re-published event handled');
  });

  it('refuses an oversized event before sending, with its size and the limit', async () => {
    const bus = await world.bus('small', { maxEventBytes: 1024 });
    const error = await bus.publish(taskCreated('big', 'x'.repeat(5000))).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EVENT_TOO_LARGE', limit: 1024 });
    expect((error as { size: number }).size).toBeGreaterThan(5000);
    expect((error as Error).message).toMatch(/is \d+ bytes encoded, above the limit of 1024 bytes; nothing was sent/);
    const admin = world.topics.kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(`${world.topics.prefix}.task`);
    await admin.disconnect();
    expect(offsets.every((o) => o.high === '0')).toBe(true);
  });

  it('continues one W3C trace across a hop', async () => {
    const bus = await world.bus();
    const contexts: { type: string; ctx: HandlerContext }[] = [];
    await (
      await bus.subscribe(
        'task.#',
        async (e, ctx) => {
          contexts.push({ type: e.type, ctx });
          if (e.type === 'task.created') await bus.publish({ type: 'task.acknowledged', source: 'w', payload: { taskId: taskId(e), agentId: 'w' } });
        },
        { name: 'tracer' },
      )
    ).ready();
    await bus.publish(taskCreated('traced'));
    // Wait for the second hop itself: a retried first handler also adds to contexts.
    await wait(() => contexts, (c) => c.some((x) => x.type === 'task.acknowledged'), 'both events');
    const [first, second] = [contexts.find((c) => c.type === 'task.created')!, contexts.find((c) => c.type === 'task.acknowledged')!];
    expect(first.ctx.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(traceIdOf(second.ctx.headers.traceparent!)).toBe(traceIdOf(first.ctx.headers.traceparent!));
    expect(second.ctx.headers.traceparent).not.toBe(first.ctx.headers.traceparent);
  });

  it('waits out a registry outage longer than the session timeout without a rebalance, then delivers every event once', async () => {
    const publisher = await world.bus('publisher');
    const proxy = await registryProxy(world.connection.registry.url);
    try {
      // Its own codec, behind the proxy, has fetched no schema yet: every decode needs the registry.
      const subscriber = await world.bus('subscriber', {
        connection: { ...world.connection, registry: { url: proxy.url, auth: undefined } },
        consumer: { sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 100, rebalanceTimeout: 10_000 },
      });
      const seen: string[] = [];
      await (await subscriber.subscribe('task.created', (e) => void seen.push(taskId(e)), { name: 'outage-proof', retry: { initialDelayMs: 100, maxDelayMs: 1000 } })).ready();
      const admin = world.topics.kafka.admin();
      await admin.connect();
      const members = async () => {
        const groupIds = (await admin.listGroups()).groups.map((g) => g.groupId).filter((g) => g.includes('outage-proof'));
        return (await admin.describeGroups(groupIds)).groups.flatMap((g) => g.members.map((m) => m.memberId)).sort();
      };
      try {
        const before = await members();
        expect(before).toHaveLength(1);
        await proxy.close();
        const published = await publisher.publishMany(Array.from({ length: 12 }, (_, i) => taskCreated(`outage-${i}`)));
        // Twice the session timeout: a member that stopped heartbeating would have been evicted by now.
        await sleep(12_000);
        expect(seen).toEqual([]);
        await proxy.open();
        await wait(() => seen.length, (n) => n >= published.length, 'every event after the outage');
        await publisher.publish(taskCreated('after-the-outage'));
        await wait(() => seen, (s) => s.includes('after-the-outage'), 'one more event, after a commit');
        expect([...seen].sort()).toEqual([...published.map(taskId), 'after-the-outage'].sort());
        expect(await members()).toEqual(before);
        expect(await world.deadLetters.list()).toEqual([]);
      } finally {
        await admin.disconnect();
      }
    } finally {
      await proxy.close();
    }
  }, 120_000);
});
