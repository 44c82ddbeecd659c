import { AgentbusError, type AgentHealth } from '@agentbus/events';

/** One capable agent as GET /agents returns it (timestamps are ISO strings in JSON). */
export interface DiscoveredAgent {
  agentId: string;
  agentClass: string | null;
  capabilities: string[];
  specializations: string[];
  capacity: number;
  spareCapacity: number;
  load: number;
  inFlight: number;
  health: AgentHealth | null;
  backpressured: boolean;
  backpressureSince: string | null;
  backpressureQueueSize: number | null;
  lastSeenAt: string | null;
}

export interface PresenceDirectory {
  /** The seed's find_capable_agents: online agents with the capability and spare capacity, least loaded first, backpressured last. */
  findCapableAgents(capability: string, options?: { minCapacity?: number; limit?: number }): Promise<DiscoveredAgent[]>;
}

export const PresenceErrorCodes = { invalidQuery: 'INVALID_DISCOVERY_QUERY', unavailable: 'PRESENCE_UNAVAILABLE' } as const;

/**
 * Discovery for agents and tools that do not hold a database handle: the presence monitor's
 * GET /agents (`baseUrl` e.g. http://presence-monitor:9403). Services with Postgres use
 * findCapableAgents from @agentbus/presence directly.
 */
export const presenceDirectory = (baseUrl: string, options: { fetch?: typeof fetch; timeoutMs?: number } = {}): PresenceDirectory => {
  const get = options.fetch ?? fetch;
  return {
    findCapableAgents: async (capability, query = {}) => {
      const url = new URL('/agents', baseUrl);
      url.searchParams.set('capability', capability);
      if (query.minCapacity !== undefined) url.searchParams.set('minCapacity', String(query.minCapacity));
      if (query.limit !== undefined) url.searchParams.set('limit', String(query.limit));
      let response: Response;
      try {
        response = await get(url, { signal: AbortSignal.timeout(options.timeoutMs ?? 5000) });
      } catch (error) {
        throw new AgentbusError(PresenceErrorCodes.unavailable, `presence monitor at ${url.origin} did not answer: ${(error as Error).message}`, { retriable: true, cause: error });
      }
      const body = (await response.json().catch(() => ({}))) as { agents?: DiscoveredAgent[]; error?: { code?: string; message?: string; field?: string } };
      if (response.status === 400) throw new AgentbusError(PresenceErrorCodes.invalidQuery, body.error?.message ?? 'invalid discovery query', { context: { field: body.error?.field } });
      if (!response.ok || !Array.isArray(body.agents)) {
        throw new AgentbusError(PresenceErrorCodes.unavailable, `presence monitor at ${url.origin} answered ${response.status}: ${body.error?.message ?? 'no agents list'}`, { retriable: true });
      }
      return body.agents;
    },
  };
};
