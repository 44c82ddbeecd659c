import type { Knex } from 'knex';
import type { AgentHealth, BackpressureState } from '@agentbus/events';
import type { AgentPresence, DetectorPolicy, PresenceStatus } from '../detector/agentPresence';
import { presenceSchema, presenceTable } from './presenceTable';

interface PresenceRow {
  agent_id: string;
  partition: number;
  status: PresenceStatus;
  agent_class: string | null;
  capabilities: string[];
  specializations: string[];
  capacity: number;
  heartbeat_interval_ms: number | null;
  health: AgentHealth | null;
  load: number | null;
  memory_usage_bytes: string | number | null;
  in_flight: number | null;
  backpressure_state: BackpressureState | null;
  backpressure_since: Date | null;
  backpressure_queue_size: number | null;
  last_seen_at: Date;
  last_event_id: string | null;
  last_heartbeat_at: Date | null;
  suspected_at: Date | null;
  timeout_ms: number;
}

const date = (ms: number | null): Date | null => (ms === null ? null : new Date(ms));
const ms = (d: Date | null): number | null => (d === null ? null : d.getTime());

const toRow = (a: AgentPresence): PresenceRow => ({
  agent_id: a.agentId,
  partition: a.partition,
  status: a.status,
  agent_class: a.agentClass,
  capabilities: a.capabilities,
  specializations: a.specializations,
  capacity: a.capacity,
  heartbeat_interval_ms: a.heartbeatIntervalMs,
  health: a.health,
  load: a.load,
  memory_usage_bytes: a.memoryUsageBytes,
  in_flight: a.inFlight,
  backpressure_state: a.backpressureState,
  backpressure_since: date(a.backpressureSince),
  backpressure_queue_size: a.backpressureQueueSize,
  last_seen_at: new Date(a.lastSeenAt),
  last_event_id: a.lastEventId,
  last_heartbeat_at: date(a.lastHeartbeatAt),
  suspected_at: date(a.suspectedAt),
  timeout_ms: a.timeoutMs,
});

/** A stored row as detector state; the deadline is not stored (wall clock), takeOver sets it. */
const fromRow = (r: PresenceRow, policy: DetectorPolicy): AgentPresence => ({
  agentId: r.agent_id,
  partition: r.partition,
  status: r.status,
  agentClass: r.agent_class,
  capabilities: r.capabilities,
  specializations: r.specializations,
  capacity: r.capacity,
  heartbeatIntervalMs: r.heartbeat_interval_ms,
  health: r.health,
  load: r.load,
  memoryUsageBytes: r.memory_usage_bytes === null ? null : Number(r.memory_usage_bytes),
  inFlight: r.in_flight,
  backpressureState: r.backpressure_state,
  backpressureSince: ms(r.backpressure_since),
  backpressureQueueSize: r.backpressure_queue_size,
  lastSeenAt: r.last_seen_at.getTime(),
  lastEventId: r.last_event_id,
  lastHeartbeatAt: ms(r.last_heartbeat_at),
  suspectedAt: ms(r.suspected_at),
  timeoutMs: policy.timeoutFor(r.agent_class),
  deadline: null,
  owedRecovery: null,
});

const columns = Object.keys(toRow({} as AgentPresence)) as (keyof PresenceRow)[];

const assignments = columns
  .filter((c) => c !== 'agent_id')
  .map((c) => `${c} = excluded.${c}`)
  .join(', ');
// One JSON parameter for the whole batch: building a multi-row VALUES list in knex cost more CPU
// than everything else the monitor does per heartbeat (see bench presence.monitor-cpu).
const upsertSql = `insert into ${presenceSchema}.${presenceTable} (${columns.join(', ')}, updated_at)
  select ${columns.join(', ')}, now() from json_populate_recordset(null::${presenceSchema}.${presenceTable}, ?::json)
  on conflict (agent_id) do update set ${assignments}, updated_at = excluded.updated_at`;

/** One statement for a whole batch: the newest state of every agent it touched. */
export const savePresence = async (db: Knex | Knex.Transaction, agents: readonly AgentPresence[]): Promise<void> => {
  if (agents.length === 0) return;
  await db.raw(upsertSql, [JSON.stringify(agents.map(toRow))]);
};

export const loadPresence = async (db: Knex | Knex.Transaction, partitions: readonly number[], policy: DetectorPolicy): Promise<AgentPresence[]> => {
  if (partitions.length === 0) return [];
  const rows = (await db.withSchema(presenceSchema).from(presenceTable).select(columns).whereIn('partition', [...partitions])) as PresenceRow[];
  return rows.map((r) => fromRow(r, policy));
};
