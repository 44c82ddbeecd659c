import { InMemoryEventBus } from '../inMemory/inMemoryBus';
import { startPresence } from './presence';

describe('startPresence', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('announces agent.online, heartbeats every interval, and says agent.offline on stop', async () => {
    const bus = new InMemoryEventBus();
    let load = 0.25;
    const presence = await startPresence(bus, {
      agentId: 'sum-1',
      agentClass: 'summariser',
      capabilities: ['summarise'],
      specializations: ['financial'],
      capacity: () => 3,
      load: () => load,
      heartbeatIntervalMs: 5000,
    });
    expect(bus.published[0]!.payload).toEqual({ agentId: 'sum-1', agentClass: 'summariser', capabilities: ['summarise'], capacity: 3, specializations: ['financial'], heartbeatIntervalMs: 5000 });

    await jest.advanceTimersByTimeAsync(10_000);
    load = 1.7;
    await jest.advanceTimersByTimeAsync(5000);
    const beats = bus.published.filter((e) => e.type === 'agent.heartbeat').map((e) => e.payload as { load: number; status: string; memoryUsageBytes: number });
    expect(beats.map((b) => b.load)).toEqual([0.25, 0.25, 1]);
    expect(beats.every((b) => b.status === 'healthy' && b.memoryUsageBytes > 0)).toBe(true);

    await presence.stop('deploy');
    await jest.advanceTimersByTimeAsync(20_000);
    expect(bus.published.filter((e) => e.type === 'agent.heartbeat')).toHaveLength(3);
    expect(bus.published.at(-1)).toMatchObject({ type: 'agent.offline', payload: { agentId: 'sum-1', reason: 'deploy' } });
  });
});
