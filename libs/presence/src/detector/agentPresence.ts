import type { AgentEvent, AgentHealth, AgentRecoveredPayload, AgentSuspectedFailurePayload, BackpressureState } from '@agentbus/events';

/** Liveness as the monitor judges it; `paused` agents are alive but take no new work. */
export type PresenceStatus = 'online' | 'paused' | 'suspected' | 'offline';
export const presenceStatuses = ['online', 'paused', 'suspected', 'offline'] as const;

/** Everything the monitor knows about one agent; also one row of the presence read model. */
export interface AgentPresence {
  agentId: string;
  /** Kafka partition of the agent topic the agent's events travel on; monitors own partitions. */
  partition: number;
  status: PresenceStatus;
  agentClass: string | null;
  capabilities: string[];
  specializations: string[];
  capacity: number;
  heartbeatIntervalMs: number | null;
  health: AgentHealth | null;
  load: number | null;
  memoryUsageBytes: number | null;
  inFlight: number | null;
  backpressureState: BackpressureState | null;
  backpressureSince: number | null;
  backpressureQueueSize: number | null;
  /** The agent's own timestamp of its newest sign of life: for reporting and ordering, never for deadlines. */
  lastSeenAt: number;
  /** Id of the event that set lastSeenAt: a redelivery of it is a duplicate; another event of the same millisecond is not. */
  lastEventId: string | null;
  lastHeartbeatAt: number | null;
  /** Monitor's wall clock when the suspicion was raised. */
  suspectedAt: number | null;
  timeoutMs: number;
  /** Monitor's wall clock after which silence means failure; null while nothing is expected (offline, suspected). */
  deadline: number | null;
  /**
   * Heard again after a suspicion while the monitor was replaying its backlog: the recovery is
   * announced when the monitor is live, unless the backlog holds another monitor's agent.recovered.
   */
  owedRecovery: { outageMs: number; lastSeen: number } | null;
}

export interface DetectorPolicy {
  /** Names the monitor in agent.suspected_failure's detectedBy and as the source of what it emits. */
  monitorId: string;
  timeoutFor(agentClass: string | null): number;
}

export type DetectorEmission =
  | { type: 'agent.suspected_failure'; source: string; payload: AgentSuspectedFailurePayload }
  | { type: 'agent.recovered'; source: string; payload: AgentRecoveredPayload };

/** `replaying`: the event is part of the backlog a monitor reads before it is live for its partition. */
export type DetectorInput =
  | { kind: 'event'; event: AgentEvent; partition: number; replaying?: boolean }
  | { kind: 'tick' }
  /** The monitor has taken the agent's partition over and read its backlog: it watches the agent from now. */
  | { kind: 'takeOver' };

export interface Detection {
  state: AgentPresence | undefined;
  emit: DetectorEmission[];
}
