import { testEvent } from '@agentbus/projections';
import type { AgentHeartbeatPayload } from '@agentbus/events';
import { DetectorSpecification, heard, replayed, takenOverAt, tickAt } from '../testing/detectorSpecification';
import { timeoutPolicy, parseClassTimeouts } from './timeoutPolicy';

const policy = timeoutPolicy({ monitorId: 'monitor-1', defaultTimeoutMs: 90_000, byClass: { fast: 10_000 } });
const spec = DetectorSpecification.for(policy);
const T = 1_700_000_000_000;

const online = (at: number, agentClass: string | null = 'summariser') =>
  testEvent('agent.online', { agentId: 'a1', agentClass, capabilities: ['summarise'], capacity: 3, specializations: ['financial'], heartbeatIntervalMs: 30_000 }, { at, source: 'a1' });
const beat = (at: number, overrides: Partial<AgentHeartbeatPayload> = {}) =>
  testEvent('agent.heartbeat', { agentId: 'a1', status: 'healthy', load: 0.4, memoryUsageBytes: 1000, inFlight: 1, ...overrides }, { at, source: 'a1' });
const offline = (at: number) => testEvent('agent.offline', { agentId: 'a1', reason: 'deploy' }, { at, source: 'a1' });
const suspected = (lastSeen: number, lastLoad: number | null = 0.4, timeoutMs = 90_000) => ({
  type: 'agent.suspected_failure' as const,
  source: 'monitor-1',
  payload: { agentId: 'a1', lastSeen, timeoutMs, lastLoad, detectedBy: 'monitor-1' },
});
const recovered = (outageMs: number, lastSeen: number) => ({ type: 'agent.recovered' as const, source: 'monitor-1', payload: { agentId: 'a1', outageMs, lastSeen } });

describe('presence detector', () => {
  describe('timeout', () => {
    it('raises nothing while the silence is shorter than the timeout', () => {
      spec.given(heard(T, online(T)), heard(T + 30_000, beat(T + 30_000))).when(tickAt(T + 119_999)).thenNothingEmitted().thenState({ status: 'online', deadline: T + 120_000 });
    });

    it('suspects an agent silent for the timeout, measured on the monitor clock from the last heartbeat it heard, with last-seen time and load', () => {
      spec
        .given(heard(T, online(T)), heard(T + 30_000, beat(T + 30_000, { load: 0.7 })))
        .when(tickAt(T + 120_000))
        .then([suspected(T + 30_000, 0.7)])
        .thenState({ status: 'suspected', suspectedAt: T + 120_000, deadline: null });
    });

    it('raises exactly one suspicion per outage however many ticks follow', () => {
      spec.given(heard(T, online(T))).when(tickAt(T + 90_000), tickAt(T + 90_250), tickAt(T + 500_000)).then([suspected(T, null)]);
    });

    it('uses the timeout of the agent class, and the default for unclassified agents', () => {
      spec.given(heard(T, online(T, 'fast'))).when(tickAt(T + 9_999), tickAt(T + 10_000)).then([suspected(T, null, 10_000)]);
      spec.given(heard(T, online(T, null))).when(tickAt(T + 89_999)).thenNothingEmitted();
    });

    it('reads class timeouts from class=ms pairs and names a bad entry', () => {
      expect(parseClassTimeouts('fast=10000, slow=120000')).toEqual({ fast: 10_000, slow: 120_000 });
      expect(() => parseClassTimeouts('fast=10s')).toThrow(/"fast=10s" is not class=milliseconds/);
    });
  });

  describe('recovery', () => {
    it('follows a suspicion with agent.recovered and the outage duration when heartbeats resume', () => {
      spec
        .given(heard(T, online(T)), tickAt(T + 90_000))
        .when(heard(T + 200_000, beat(T + 200_000)))
        .then([recovered(200_000, T + 200_000)])
        .thenState({ status: 'online', suspectedAt: null, deadline: T + 290_000 });
    });

    it('counts a restarted agent announcing itself again as recovered', () => {
      spec.given(heard(T, online(T)), tickAt(T + 90_000)).when(heard(T + 95_000, online(T + 95_000))).then([recovered(95_000, T + 95_000)]);
    });

    it('can suspect the same agent again after it recovered: one suspicion per outage, not per agent', () => {
      spec
        .given(heard(T, online(T)), tickAt(T + 90_000), heard(T + 100_000, beat(T + 100_000)))
        .when(tickAt(T + 190_000))
        .then([suspected(T + 100_000)]);
    });
  });

  describe('clean offline', () => {
    it('never suspects an agent that said agent.offline', () => {
      spec.given(heard(T, online(T)), heard(T + 1000, offline(T + 1000))).when(tickAt(T + 1_000_000)).thenNothingEmitted().thenState({ status: 'offline', deadline: null });
    });

    it('watches it again when it comes back online, without calling that a recovery', () => {
      spec
        .given(heard(T, online(T)), heard(T + 1000, offline(T + 1000)))
        .when(heard(T + 5000, online(T + 5000)), tickAt(T + 95_000))
        .then([suspected(T + 5000, null)]);
    });
  });

  describe('duplicate heartbeats', () => {
    it('a redelivered heartbeat neither extends the deadline nor ends an outage', () => {
      const last = beat(T + 30_000);
      spec.given(heard(T, online(T)), heard(T + 30_000, last)).when(heard(T + 60_000, last), tickAt(T + 120_000)).then([suspected(T + 30_000)]);
      spec.given(heard(T, online(T)), heard(T + 30_000, last), tickAt(T + 120_000)).when(heard(T + 130_000, last)).thenNothingEmitted().thenState({ status: 'suspected' });
    });
  });

  describe('events of the same millisecond', () => {
    it('are distinct events, applied in order: online then offline in one millisecond leaves the agent offline', () => {
      spec.given(heard(T, online(T))).when(heard(T, offline(T)), tickAt(T + 1_000_000)).thenNothingEmitted().thenState({ status: 'offline' });
    });
  });

  describe('out-of-order heartbeats', () => {
    it('ignores a heartbeat older than the newest one seen: its data and its proof of life', () => {
      spec
        .given(heard(T, online(T)), heard(T + 30_000, beat(T + 30_000, { load: 0.2 })))
        .when(heard(T + 40_000, beat(T + 10_000, { load: 0.9 })), tickAt(T + 120_000))
        .then([suspected(T + 30_000, 0.2)])
        .thenState({ lastSeenAt: T + 30_000, load: 0.2 });
    });

    it('a late heartbeat from before the outage does not count as recovery', () => {
      spec.given(heard(T, online(T)), heard(T + 30_000, beat(T + 30_000)), tickAt(T + 120_000)).when(heard(T + 121_000, beat(T + 20_000))).thenNothingEmitted();
    });
  });

  describe('clock skew', () => {
    const hour = 3_600_000;
    it('an agent whose clock is an hour behind is not suspected while it heartbeats', () => {
      spec
        .given(heard(T, online(T - hour)))
        .when(heard(T + 30_000, beat(T - hour + 30_000)), tickAt(T + 60_000), heard(T + 60_000, beat(T - hour + 60_000)), tickAt(T + 149_999))
        .thenNothingEmitted();
    });

    it('an agent whose clock is an hour ahead is still suspected one timeout after it was last heard, and reported with its own last-seen time', () => {
      spec.given(heard(T, online(T + hour)), heard(T + 30_000, beat(T + hour + 30_000))).when(tickAt(T + 119_999), tickAt(T + 120_000)).then([suspected(T + hour + 30_000)]);
    });
  });

  describe('taking over an agent after a rebalance or a restart', () => {
    it('waits one timeout from the take-over before suspecting, however old the last heartbeat', () => {
      spec
        .given(heard(T, online(T)))
        .when(takenOverAt(T + 500_000), tickAt(T + 589_999), tickAt(T + 590_000))
        .then([suspected(T, null)]);
    });

    it('keeps a suspected agent suspected and an offline agent offline', () => {
      spec.given(heard(T, online(T)), tickAt(T + 90_000)).when(takenOverAt(T + 500_000), tickAt(T + 1_000_000)).thenNothingEmitted().thenState({ status: 'suspected' });
      spec.given(heard(T, online(T)), heard(T + 1, offline(T + 1))).when(takenOverAt(T + 500_000), tickAt(T + 1_000_000)).thenNothingEmitted().thenState({ status: 'offline' });
    });
  });

  describe('replaying the backlog after a take-over', () => {
    const recoveredBy = (monitor: string, outageMs: number, lastSeen: number) => testEvent('agent.recovered', { agentId: 'a1', outageMs, lastSeen }, { at: lastSeen + 10, source: monitor });
    const suspectedBy = (monitor: string, lastSeen: number) => testEvent('agent.suspected_failure', { agentId: 'a1', lastSeen, timeoutMs: 90_000, lastLoad: null, detectedBy: monitor }, { at: lastSeen + 90_000, source: monitor });

    it('does not announce a recovery that the backlog shows another monitor announced', () => {
      spec
        .given(replayed(T, online(T)), replayed(T + 1, suspectedBy('old', T)))
        .when(replayed(T + 2, beat(T + 95_000)), replayed(T + 3, recoveredBy('old', 95_000, T + 95_000)), takenOverAt(T + 10))
        .thenNothingEmitted()
        .thenState({ status: 'online', owedRecovery: null, deadline: T + 90_010 });
    });

    it('announces, once live, a recovery heard in the backlog that nobody announced', () => {
      spec
        .given(replayed(T, online(T)), replayed(T + 1, suspectedBy('old', T)))
        .when(replayed(T + 2, beat(T + 95_000)), takenOverAt(T + 10), tickAt(T + 20))
        .then([recovered(95_000, T + 95_000)])
        .thenState({ status: 'online', owedRecovery: null });
    });
  });

  describe('suspicions raised by another monitor', () => {
    const elsewhere = (lastSeen: number) => testEvent('agent.suspected_failure', { agentId: 'a1', lastSeen, timeoutMs: 90_000, lastLoad: null, detectedBy: 'monitor-2' }, { at: T + 95_000, source: 'monitor-2' });

    it('adopts it, so the agent is not suspected twice for one outage', () => {
      spec.given(heard(T, online(T)), heard(T + 95_000, elsewhere(T))).when(tickAt(T + 200_000)).thenNothingEmitted().thenState({ status: 'suspected' });
    });

    it('ignores it when the agent has been heard from since', () => {
      spec.given(heard(T, online(T)), heard(T + 50_000, beat(T + 50_000))).when(heard(T + 95_000, elsewhere(T))).thenNothingEmitted().thenState({ status: 'online' });
    });
  });

  describe('backpressure', () => {
    it('records paused-since and queue size, keeps the first since while paused, and clears it on resume', () => {
      const bp = (at: number, state: 'paused' | 'resumed', queueSize: number) =>
        testEvent('agent.backpressure', { agentId: 'a1', subscription: 'task.*', state, queueSize, maxInFlight: 10, pausedMs: null }, { at, source: 'a1' });
      spec.given(heard(T, online(T))).when(heard(T + 1000, bp(T + 1000, 'paused', 40)), heard(T + 2000, bp(T + 2000, 'paused', 55))).thenState({ backpressureState: 'paused', backpressureSince: T + 1000, backpressureQueueSize: 55 });
      spec.given(heard(T, online(T)), heard(T + 1000, bp(T + 1000, 'paused', 40))).when(heard(T + 3000, bp(T + 3000, 'resumed', 0))).thenState({ backpressureState: 'resumed', backpressureSince: null });
    });
  });
});
