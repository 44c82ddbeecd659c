import type { Knex } from 'knex';
import { findCapableAgents } from '@agentbus/presence';
import { pageOf } from './analyst';
import type { Page, AgentView } from '../views';


const columns = ['agent_id', 'status', 'agent_class', 'capabilities', 'capacity', 'load', 'in_flight', 'health', 'backpressure_state', 'last_heartbeat_at', 'last_seen_at', 'suspected_at'];

const toView = (r: Record<string, unknown>): AgentView => ({
  agentId: r.agent_id as string,
  status: r.status as string,
  agentClass: r.agent_class as string | null,
  capabilities: r.capabilities as string[],
  capacity: r.capacity as number,
  load: r.load as number | null,
  inFlight: r.in_flight as number | null,
  health: r.health as string | null,
  backpressure: r.backpressure_state as string | null,
  lastHeartbeatAt: r.last_heartbeat_at as Date | null,
  lastSeenAt: r.last_seen_at as Date,
  suspectedAt: r.suspected_at as Date | null,
});

/** Every agent of the presence read model, by id, a keyset page at a time. */
export const listAgents = async (trx: Knex.Transaction, options: { after?: string; limit: number }): Promise<Page<AgentView>> => {
  let query = trx.withSchema('read').from('presence_agents').select(columns).orderBy('agent_id').limit(options.limit + 1);
  if (options.after) query = query.where('agent_id', '>', options.after);
  return pageOf((await query).map(toView), options.limit, (a) => a.agentId);
};

/** The same answer as the presence monitor's GET /agents?capability=. */
export const capableAgents = (trx: Knex.Transaction, capability: string, options: { minCapacity?: number; limit?: number }) =>
  findCapableAgents(trx, capability, { ...options, viaAnalystView: true });

/** id → status of every agent: what live updates compare from one tick to the next. */
export const agentStatuses = async (trx: Knex.Transaction): Promise<Record<string, string>> =>
  Object.fromEntries(((await trx.withSchema('read').from('presence_agents').select('agent_id', 'status')) as { agent_id: string; status: string }[]).map((r) => [r.agent_id, r.status]));
