import type { AgentEvent, EventPayloads } from '@agentbus/events';
import type { AgentPresence, Detection, DetectorEmission, DetectorInput, DetectorPolicy, PresenceStatus } from './agentPresence';

export const presenceEventTypes = [
  'agent.started',
  'agent.online',
  'agent.heartbeat',
  'agent.paused',
  'agent.offline',
  'agent.backpressure',
  'agent.suspected_failure',
  'agent.recovered',
] as const;
type PresenceEventType = (typeof presenceEventTypes)[number];
type PresenceEvent = { [T in PresenceEventType]: AgentEvent<T, EventPayloads[T]> }[PresenceEventType];

const handled = new Set<string>(presenceEventTypes);
export const isPresenceEvent = (event: AgentEvent): event is PresenceEvent => handled.has(event.type);

const unchanged = (state: AgentPresence | undefined): Detection => ({ state, emit: [] });
const watching = (status: PresenceStatus): boolean => status === 'online' || status === 'paused';

/**
 * The failure detector for one agent: (state, event or tick or take-over, now) → (state, events to emit).
 *
 * Deadlines run on the monitor's wall clock (`now` when an event is handled), never on event
 * timestamps, so an agent whose clock is skewed is judged by when it was heard, not by what its
 * clock says. The agent's own timestamps only order its events: one older than the newest seen is
 * out of order and ignored, and a redelivery of the newest one is a duplicate. So a redelivered
 * or late heartbeat can neither extend a deadline nor end an outage.
 */
export const detect = (state: AgentPresence | undefined, input: DetectorInput, now: number, policy: DetectorPolicy): Detection => {
  if (input.kind === 'tick') return tick(state, now, policy);
  if (input.kind === 'takeOver') return state ? takeOver(state, now, policy) : unchanged(state);
  const { event, partition, replaying = false } = input;
  if (!isPresenceEvent(event)) return unchanged(state);
  switch (event.type) {
    case 'agent.suspected_failure':
      return suspectedElsewhere(state, event, partition, now, policy);
    case 'agent.recovered':
      return recoveredElsewhere(state, event, now);
    case 'agent.started':
    case 'agent.online':
    case 'agent.heartbeat':
    case 'agent.paused':
    case 'agent.offline':
    case 'agent.backpressure':
      return signOfLife(state, event, partition, now, policy, replaying);
    default:
      return unreachable(event);
  }
};

const unreachable = (event: never): never => {
  throw new Error(`unhandled presence event ${(event as AgentEvent).type}`);
};

const tick = (state: AgentPresence | undefined, now: number, policy: DetectorPolicy): Detection => {
  if (!state || !watching(state.status) || state.deadline === null || now < state.deadline) return unchanged(state);
  const emission: DetectorEmission = {
    type: 'agent.suspected_failure',
    source: policy.monitorId,
    payload: { agentId: state.agentId, lastSeen: state.lastSeenAt, timeoutMs: state.timeoutMs, lastLoad: state.load, detectedBy: policy.monitorId },
  };
  return { state: { ...state, status: 'suspected', suspectedAt: now, deadline: null }, emit: [emission] };
};

const blank = (agentId: string, partition: number, lastSeenAt: number, policy: DetectorPolicy): AgentPresence => ({
  agentId,
  partition,
  status: 'online',
  agentClass: null,
  capabilities: [],
  specializations: [],
  capacity: 0,
  heartbeatIntervalMs: null,
  health: null,
  load: null,
  memoryUsageBytes: null,
  inFlight: null,
  backpressureState: null,
  backpressureSince: null,
  backpressureQueueSize: null,
  lastSeenAt,
  lastEventId: null,
  lastHeartbeatAt: null,
  suspectedAt: null,
  timeoutMs: policy.timeoutFor(null),
  deadline: null,
  owedRecovery: null,
});

type AgentOwnEvent = Exclude<PresenceEvent, { type: 'agent.suspected_failure' | 'agent.recovered' }>;

const signOfLife = (state: AgentPresence | undefined, event: AgentOwnEvent, partition: number, now: number, policy: DetectorPolicy, replaying: boolean): Detection => {
  const at = event.timestamp;
  if (state && (at < state.lastSeenAt || (at === state.lastSeenAt && event.id === state.lastEventId))) return unchanged(state);
  const before = state ?? blank(event.payload.agentId, partition, at, policy);
  const next: AgentPresence = { ...before, ...details(event, before, policy), partition, lastSeenAt: at, lastEventId: event.id };

  const recovery = before.status === 'suspected' ? { outageMs: Math.max(0, at - before.lastSeenAt), lastSeen: at } : null;
  const status = statusAfter(event, before.status);
  const after: AgentPresence = { ...next, status, suspectedAt: status === 'suspected' ? next.suspectedAt : null, deadline: watching(status) ? now + next.timeoutMs : null };
  if (!recovery) return { state: after, emit: [] };
  if (replaying) return { state: { ...after, owedRecovery: recovery }, emit: [] };
  return { state: after, emit: [recoveredEvent(before.agentId, recovery, policy)] };
};

const recoveredEvent = (agentId: string, recovery: { outageMs: number; lastSeen: number }, policy: DetectorPolicy): DetectorEmission => ({
  type: 'agent.recovered',
  source: policy.monitorId,
  payload: { agentId, ...recovery },
});

const statusAfter = (event: AgentOwnEvent, current: PresenceStatus): PresenceStatus => {
  switch (event.type) {
    case 'agent.offline':
      return 'offline';
    case 'agent.paused':
      return 'paused';
    case 'agent.online':
    case 'agent.started':
      return 'online';
    case 'agent.heartbeat':
    case 'agent.backpressure':
      return current === 'paused' ? 'paused' : 'online';
    default:
      return unreachable(event);
  }
};

const details = (event: AgentOwnEvent, state: AgentPresence, policy: DetectorPolicy): Partial<AgentPresence> => {
  switch (event.type) {
    case 'agent.online': {
      const { agentClass, capabilities, capacity, specializations, heartbeatIntervalMs } = event.payload;
      const cls = agentClass ?? null;
      return { agentClass: cls, capabilities, capacity, specializations, heartbeatIntervalMs, timeoutMs: policy.timeoutFor(cls) };
    }
    case 'agent.heartbeat': {
      const { status, load, memoryUsageBytes, inFlight } = event.payload;
      return { health: status, load, memoryUsageBytes, inFlight, lastHeartbeatAt: event.timestamp };
    }
    case 'agent.backpressure': {
      // The schema reads an unknown state as paused, the cautious assumption; so does presence.
      const paused = event.payload.state !== 'resumed';
      return {
        backpressureState: paused ? 'paused' : 'resumed',
        backpressureSince: paused ? (state.backpressureState === 'paused' ? state.backpressureSince : event.timestamp) : null,
        backpressureQueueSize: event.payload.queueSize,
      };
    }
    case 'agent.started':
    case 'agent.paused':
    case 'agent.offline':
      return {};
    default:
      return unreachable(event);
  }
};

/** Another monitor (or this one, before a restart) raised the suspicion; adopt it unless the agent was heard since. */
const suspectedElsewhere = (state: AgentPresence | undefined, event: AgentEvent<'agent.suspected_failure', EventPayloads['agent.suspected_failure']>, partition: number, now: number, policy: DetectorPolicy): Detection => {
  const { agentId, lastSeen } = event.payload;
  if (!state) return unchanged({ ...blank(agentId, partition, lastSeen, policy), status: 'suspected', suspectedAt: now });
  if (!watching(state.status) || lastSeen < state.lastSeenAt) return unchanged(state);
  return unchanged({ ...state, status: 'suspected', suspectedAt: now, deadline: null });
};

/** Another monitor announced the recovery: adopt it, and owe none of our own. */
const recoveredElsewhere = (state: AgentPresence | undefined, event: AgentEvent<'agent.recovered', EventPayloads['agent.recovered']>, now: number): Detection => {
  if (!state) return unchanged(state);
  if (state.owedRecovery) return unchanged({ ...state, owedRecovery: null });
  if (state.status !== 'suspected') return unchanged(state);
  return unchanged({ ...state, status: 'online', suspectedAt: null, lastSeenAt: Math.max(state.lastSeenAt, event.payload.lastSeen), deadline: now + state.timeoutMs });
};

/**
 * A monitor that has just been given an agent (a rebalance or a restart) and has read the backlog
 * of its partition does not know when the agent was last heard in wall-clock terms, so it waits
 * one full timeout from now before suspecting it: no storm of false alarms. A recovery heard in
 * the backlog that no other monitor announced is announced now.
 */
const takeOver = (state: AgentPresence, now: number, policy: DetectorPolicy): Detection => {
  const timeoutMs = policy.timeoutFor(state.agentClass);
  const emit = state.owedRecovery ? [recoveredEvent(state.agentId, state.owedRecovery, policy)] : [];
  return { state: { ...state, timeoutMs, owedRecovery: null, deadline: watching(state.status) ? now + timeoutMs : null }, emit };
};
