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
});

describe('AgentWatch', () => {
  it('adopts the stored agents of partitions it takes over with one timeout of grace, however long ago they were seen', () => {
    const watch = new AgentWatch(policy);
    expect(watch.assign([0, 1])).toEqual({ added: [0, 1], removed: [] });
    watch.adopt([stored('a0', 0), stored('b1', 1), stored('c2', 2), stored('d0', 0, 'offline')], T);
    expect(watch.counts()).toEqual({ online: 2, paused: 0, suspected: 0, offline: 1 });
    expect(watch.tick(T + 9_999)).toEqual([]);
    expect(watch.tick(T + 10_000).map((e) => e.payload.agentId).sort()).toEqual(['a0', 'b1']);
    expect(watch.tick(T + 20_000)).toEqual([]);
  });

  it('keeps what it heard since the take-over instead of the older stored row', () => {
    const watch = new AgentWatch(policy);
    watch.assign([0]);
    watch.handle([online('a0', T)], T);
    watch.adopt([{ ...stored('a0', 0), capacity: 99 }], T + 5000);
    expect(watch.tick(T + 10_000)).toHaveLength(1);
  });

  it('forgets the agents of partitions handed to another instance, and keeps the rest', () => {
    const watch = new AgentWatch(policy);
    watch.assign([0, 1]);
    watch.handle([online('a0', T), online('b1', T)], T);
    expect(watch.assign([1])).toEqual({ added: [], removed: [0] });
    expect(watch.tick(T + 10_000).map((e) => e.payload.agentId)).toEqual(['b1']);
  });

  it('returns every agent an event touched for storing, including its own verdict coming back', () => {
    const watch = new AgentWatch(policy);
    watch.assign([0]);
    watch.handle([online('a0', T)], T);
    const [verdict] = watch.tick(T + 10_000);
    const echoed = testEvent('agent.suspected_failure', verdict!.payload as AgentSuspectedFailurePayload, { at: T + 10_000, source: 'm1' });
    const { changed, emit } = watch.handle([{ event: echoed, partition: 0 }], T + 10_050);
    expect(emit).toEqual([]);
    expect(changed.map((a) => [a.agentId, a.status])).toEqual([['a0', 'suspected']]);
  });
});
