/** An online agent that can take work, as the presence read model sees it. */
export interface AgentCandidate {
  agentId: string;
  /** Tasks it can still take. */
  capacity: number;
  /** Fraction of capacity in use, 0..1. */
  load: number;
}

export interface FindCapableOptions {
  /** Only agents with at least this much spare capacity; 1 by default. */
  minCapacity?: number;
}

/** The port the orchestrator answers from presence: online agents with a capability, least loaded first. */
export interface AgentDirectory {
  findCapableAgents(capability: string, options?: FindCapableOptions): Promise<AgentCandidate[]>;
}

/** What the pure decider sees: the directory's answers fetched before it runs. */
export interface AgentSnapshot {
  findCapableAgents(capability: string, options?: FindCapableOptions): readonly AgentCandidate[];
}

export const noAgents: AgentSnapshot = { findCapableAgents: () => [] };

/** A snapshot from fixed candidates per capability (tests, or answers prefetched from an AgentDirectory). */
export const agentSnapshot = (byCapability: Readonly<Record<string, readonly AgentCandidate[]>>): AgentSnapshot => ({
  findCapableAgents: (capability, options = {}) => (byCapability[capability] ?? []).filter((a) => a.capacity >= (options.minCapacity ?? 1)),
});
