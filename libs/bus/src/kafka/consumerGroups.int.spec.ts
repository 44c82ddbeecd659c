import type { AgentEvent } from '@agentbus/events';
import { eventually } from '../testing';
import { kafkaWorld } from './kafkaWorld.spec-support';

type World = Awaited<ReturnType<typeof kafkaWorld>>;

const taskCreated = (taskId: string) => ({
  type: 'task.created',
  source: 'did:agent:planner',
  payload: { taskId, description: `do ${taskId}`, priority: 'normal', domain: null, requiredCapability: null, input: null },
});

describe('consumer groups of two topic prefixes on one cluster (staging beside production)', () => {
  let worlds: World[] = [];

  beforeAll(async () => {
    worlds = [await kafkaWorld('staging'), await kafkaWorld('production')];
  });
  afterAll(async () => {
    await Promise.all(worlds.map((w) => w.cleanup()));
  });

  it('keeps the same service and subscription name in two groups; each gets all of its own events and none of the other\'s', async () => {
    const seen = worlds.map(() => [] as string[]);
    const buses = await Promise.all(worlds.map((w) => w.bus('order-agent')));
    const subs = await Promise.all(buses.map((bus, i) => bus.subscribe('task.created', (e: AgentEvent) => void seen[i]!.push((e.payload as { taskId: string }).taskId), { name: 'work' })));
    await Promise.all(subs.map((s) => s.ready()));

    const published = worlds.map((w) => Array.from({ length: 30 }, (_, n) => `${w.topics.prefix}/t-${n}`));
    await Promise.all(buses.map((bus, i) => bus.publishMany(published[i]!.map(taskCreated))));

    // In one shared group each member would be assigned partitions of the other's topics, and miss its own events there.
    await eventually(() => seen.map((s) => s.length), (counts) => counts.every((n, i) => n >= published[i]!.length), 45_000, 'both prefixes\' events');
    for (const [i, own] of published.entries()) expect([...new Set(seen[i])].sort()).toEqual([...own].sort());

    const admin = worlds[0]!.topics.kafka.admin();
    await admin.connect();
    try {
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId);
      for (const w of worlds) expect(groups).toContain(`${w.topics.prefix}.order-agent.work`);
      expect(groups).not.toContain('order-agent.work');
    } finally {
      await admin.disconnect();
    }
  });
});
