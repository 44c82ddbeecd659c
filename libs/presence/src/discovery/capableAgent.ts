import type { AgentHealth } from '@agentbus/events';

export interface FindCapableAgentsOptions {
  /** Spare slots the agent must have (capacity minus tasks in flight); default 1. */
  minCapacity?: number;
  /** Most agents to return; default 50. */
  limit?: number;
}

/** One online agent that can take work, as the presence read model last saw it. */
export interface CapableAgent {
  agentId: string;
  agentClass: string | null;
  capabilities: string[];
  specializations: string[];
  /** Slots the agent announced with agent.online. */
  capacity: number;
  /** capacity minus inFlight from the latest heartbeat. */
  spareCapacity: number;
  /** Fraction of capacity in use from the latest heartbeat, 0..1; 0 before the first heartbeat. */
  load: number;
  inFlight: number;
  health: AgentHealth | null;
  /** True while an agent.backpressure reported intake paused; such agents are ranked last. */
  backpressured: boolean;
  backpressureSince: Date | null;
  backpressureQueueSize: number | null;
  /** Agent's own timestamp of its latest sign of life (reporting only). */
  lastSeenAt: Date | null;
}

/** The lookup a saga or an agent is handed: findCapableAgents bound to a database or to the HTTP API. */
export type FindCapableAgents = (capability: string, options?: FindCapableAgentsOptions) => Promise<CapableAgent[]>;
