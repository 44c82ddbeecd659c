import type { AgentSuspectedFailurePayload } from '@agentbus/events';
import { testEvent } from '@agentbus/projections';
import { timeoutPolicy, type AgentPresence } from '@agentbus/presence';
import { AgentWatch } from './agentWatch';

const policy = timeoutPolicy({ monitorId: 'm1', defaultTimeoutMs: 10_000 });
const T = 1_700_000_000_000;
const online = (agentId: string, at: number) => ({
  event: testEvent('agent.online', { agentId, agentClass: null, capabilities: ['x'], capacity: 2, specializations: [], heartbeatIntervalMs: 1000 }, { at, source: agentId }),
  partition: Number(agentId.at(-1)),
});
const stored = (agentId: string, partition: number, status: AgentPresence['status'] = 'online'): AgentPresence => ({
  agentId,
  partition,
  status,
  agentClass: null,
  capabilities: ['x'],
  specializations: [],
  capacity: 2,
  heartbeatIntervalMs: 1000,
  health: 'healthy',
  load: 0.5,
  memoryUsageBytes: 1,
  inFlight: 0,
  backpressureState: null,
  backpressureSince: null,
  backpressureQueueSize: null,
  lastSeenAt: T - 3_600_000,
  lastEventId: null,
  lastHeartbeatAt: T - 3_600_000,
  suspectedAt: null,
  timeoutMs: 10_000,
  deadline: null,
  owedRecovery: null,
});

describe('AgentWatch', () => {
  it('adopts the stored agents of a partition with no backlog at once, with one timeout of grace, however long ago they were seen', () => {
    const watch = new AgentWatch(policy);
    expect(watch.assign([0, 1])).toEqual({ added: [0, 1], removed: [] });
    const rows = [stored('a0', 0), stored('b1', 1), stored('c2', 2), stored('d0', 0, 'offline')];
    expect(watch.adopt(0, rows, 7n, 7n, T)).toEqual([]);
    expect(watch.adopt(1, rows, 0n, 0n, T)).toEqual([]);
    expect(watch.livePartitions).toEqual([0, 1]);
    expect(watch.counts()).toEqual({ online: 2, paused: 0, suspected: 0, offline: 1 });
    expect(watch.tick(T + 9_999)).toEqual([]);
    expect(watch.tick(T + 10_000).map((e) => e.payload.agentId).sort()).toEqual(['a0', 'b1']);
    expect(watch.tick(T + 20_000)).toEqual([]);
  });

  it('reads the backlog of a partition before it goes live: nothing is suspected meanwhile, and its agents get one timeout from going live', () => {
    const watch = new AgentWatch(policy);
    watch.assign([0]);
    expect(watch.adopt(0, [stored('a0', 0)], 10n, 20n, T)).toEqual([]);
    expect(watch.livePartitions).toEqual([]);
    watch.handle([online('b0', T)], T);
    expect(watch.tick(T + 60_000)).toEqual([]);
    expect(watch.reached(0, '18', T + 60_000)).toEqual([]);
    expect(watch.reached(0, '19', T + 60_000)).toEqual([]);
    expect(watch.livePartitions).toEqual([0]);
    expect(watch.tick(T + 69_999)).toEqual([]);
    expect(watch.tick(T + 70_000).map((e) => e.payload.agentId).sort()).toEqual(['a0', 'b0']);
  });

  it('announces on going live a recovery the backlog showed and no other monitor announced', () => {
    const watch = new AgentWatch(policy);
    watch.assign([0]);
    watch.adopt(0, [stored('a0', 0, 'suspected')], 0n, 5n, T);
    const back = { event: testEvent('agent.heartbeat', { agentId: 'a0', status: 'healthy', load: 0.1, memoryUsageBytes: 1, inFlight: 0 }, { at: T - 1000, source: 'a0' }), partition: 0 };
    expect(watch.handle([back], T).emit).toEqual([]);
    expect(watch.reached(0, '4', T)).toEqual([{ type: 'agent.recovered', source: 'm1', payload: { agentId: 'a0', outageMs: 3_599_000, lastSeen: T - 1000 } }]);
  });

  it('keeps what it heard since the take-over instead of the older stored row', () => {
    const watch = new AgentWatch(policy);
    watch.assign([0]);
    watch.handle([online('a0', T)], T);
    watch.adopt(0, [{ ...stored('a0', 0), status: 'offline' }], 0n, 0n, T);
    expect(watch.counts()).toMatchObject({ online: 1, offline: 0 });
  });

  it('forgets the agents of partitions handed to another instance, and keeps the rest', () => {
    const watch = new AgentWatch(policy);
    watch.assign([0, 1]);
    watch.adopt(0, [], 0n, 0n, T);
    watch.adopt(1, [], 0n, 0n, T);
    watch.handle([online('a0', T), online('b1', T)], T);
    expect(watch.assign([1])).toEqual({ added: [], removed: [0] });
    expect(watch.agentIds).toEqual(['b1']);
    expect(watch.tick(T + 10_000).map((e) => e.payload.agentId)).toEqual(['b1']);
  });

  it('returns every agent an event touched for storing, including its own verdict coming back', () => {
    const watch = new AgentWatch(policy);
    watch.assign([0]);
    watch.adopt(0, [], 0n, 0n, T);
    watch.handle([online('a0', T)], T);
    const [verdict] = watch.tick(T + 10_000);
    const echoed = testEvent('agent.suspected_failure', verdict!.payload as AgentSuspectedFailurePayload, { at: T + 10_000, source: 'm1' });
    const { changed, emit } = watch.handle([{ event: echoed, partition: 0 }], T + 10_050);
    expect(emit).toEqual([]);
    expect(changed.map((a) => [a.agentId, a.status])).toEqual([['a0', 'suspected']]);
  });
});
