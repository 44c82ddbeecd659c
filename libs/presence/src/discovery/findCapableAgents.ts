import type { Knex } from 'knex';
import { AgentbusError, type AgentHealth } from '@agentbus/events';
import { readSchema } from '@agentbus/read-models';
import { presenceSchema, presenceTable, presenceView } from '../store/presenceTable';
import type { CapableAgent, FindCapableAgentsOptions } from './capableAgent';

export const defaultMinCapacity = 1;
export const defaultDiscoveryLimit = 50;

interface PresenceRow {
  agent_id: string;
  agent_class: string | null;
  capabilities: string[];
  specializations: string[];
  capacity: number;
  spare_capacity: number;
  load: number | null;
  in_flight: number | null;
  health: AgentHealth | null;
  backpressure_state: string | null;
  backpressure_since: Date | null;
  backpressure_queue_size: number | null;
  last_seen_at: Date | null;
}

export const invalidDiscoveryQuery = (field: string, reason: string): AgentbusError =>
  new AgentbusError('INVALID_DISCOVERY_QUERY', `${field} ${reason}`, { context: { field } });

export const validateDiscovery = (capability: string, options: FindCapableAgentsOptions = {}): Required<Pick<FindCapableAgentsOptions, 'minCapacity' | 'limit'>> => {
  if (typeof capability !== 'string' || capability.trim() === '') throw invalidDiscoveryQuery('capability', 'must be a non-empty string');
  const minCapacity = options.minCapacity ?? defaultMinCapacity;
  const limit = options.limit ?? defaultDiscoveryLimit;
  if (!Number.isInteger(minCapacity) || minCapacity < 0) throw invalidDiscoveryQuery('minCapacity', 'must be a whole number >= 0');
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalidDiscoveryQuery('limit', 'must be a whole number from 1 to 1000');
  return { minCapacity, limit };
};

/**
 * The seed's find_capable_agents, answered from the presence read model: online, healthy-enough
 * agents that have the capability and at least `minCapacity` spare slots; agents not under
 * backpressure first, then least loaded, then most spare slots.
 */
export const findCapableAgents = async (db: Knex | Knex.Transaction, capability: string, options: FindCapableAgentsOptions & { viaAnalystView?: boolean } = {}): Promise<CapableAgent[]> => {
  const { minCapacity, limit } = validateDiscovery(capability, options);
  const spare = 'greatest(capacity - coalesce(in_flight, 0), 0)';
  // The console reads as the analyst role, which sees the table only through read.presence_agents.
  const [schema, table] = options.viaAnalystView ? [readSchema, presenceView] : [presenceSchema, presenceTable];
  const rows = (await db
    .withSchema(schema)
    .from(table)
    .select('agent_id', 'agent_class', 'capabilities', 'specializations', 'capacity', db.raw(`${spare} as spare_capacity`), 'load', 'in_flight', 'health', 'backpressure_state', 'backpressure_since', 'backpressure_queue_size', 'last_seen_at')
    .where('status', 'online')
    // Containment, not `= any(...)`, so the partial GIN index on online agents' capabilities answers it.
    .whereRaw('capabilities @> ?::text[]', [[capability]])
    .whereRaw(`coalesce(health, 'healthy') <> 'unhealthy'`)
    .whereRaw(`${spare} >= ?`, [minCapacity])
    .orderByRaw(`(backpressure_state = 'paused') is true, coalesce(load, 0), ${spare} desc, agent_id`)
    .limit(limit)) as PresenceRow[];
  return rows.map(toCapableAgent);
};

const toCapableAgent = (row: PresenceRow): CapableAgent => ({
  agentId: row.agent_id,
  agentClass: row.agent_class,
  capabilities: row.capabilities,
  specializations: row.specializations,
  capacity: row.capacity,
  spareCapacity: Number(row.spare_capacity),
  load: row.load ?? 0,
  inFlight: row.in_flight ?? 0,
  health: row.health,
  backpressured: row.backpressure_state === 'paused',
  backpressureSince: row.backpressure_since,
  backpressureQueueSize: row.backpressure_queue_size,
  lastSeenAt: row.last_seen_at,
});
