import { defineProjection, unhandled, type EventOf, type TableDefinition } from './projection';
import { upsert, type Row } from './rowChange';

const agentEventTypes = [
  'agent.started',
  'agent.online',
  'agent.heartbeat',
  'agent.paused',
  'agent.offline',
  'agent.backpressure',
  'agent.suspected_failure',
  'agent.recovered',
] as const;
type AgentLifecycleEvent = EventOf<(typeof agentEventTypes)[number]>;

const agents: TableDefinition = {
  name: 'agents',
  key: ['agent_id'],
  columns: {
    agent_id: 'text',
    state: 'text',
    agent_class: 'text',
    capabilities: 'text[]',
    capacity: 'integer',
    specializations: 'text[]',
    heartbeat_interval_ms: 'integer',
    last_heartbeat_at: 'timestamptz',
    health: 'text',
    load: 'double',
    memory_usage_bytes: 'bigint',
    in_flight: 'integer',
    backpressure_state: 'text',
    backpressure_since: 'timestamptz',
    backpressure_queue_size: 'integer',
    last_seen_at: 'timestamptz',
    suspected_at: 'timestamptz',
    updated_at: 'timestamptz',
  },
};

/*
 * Every event an agent publishes about itself is a sign of life, so it moves last_seen_at. A
 * monitor's agent.suspected_failure does not: its lastSeen may be older than what this table saw.
 * Only state events change `state`; a heartbeat from a suspected agent waits for agent.recovered.
 */
const columnsFor = (event: AgentLifecycleEvent): Row => {
  const seen = { last_seen_at: event.timestamp };
  switch (event.type) {
    case 'agent.started':
      return { state: 'started', ...seen };
    case 'agent.online': {
      const { agentClass, capabilities, capacity, specializations, heartbeatIntervalMs } = event.payload;
      return {
        state: 'online',
        agent_class: agentClass ?? null,
        capabilities,
        capacity,
        specializations,
        heartbeat_interval_ms: heartbeatIntervalMs,
        ...seen,
      };
    }
    case 'agent.heartbeat': {
      const { status, load, memoryUsageBytes, inFlight } = event.payload;
      return { health: status, load, memory_usage_bytes: memoryUsageBytes, in_flight: inFlight, last_heartbeat_at: event.timestamp, ...seen };
    }
    case 'agent.paused':
      return { state: 'paused', ...seen };
    case 'agent.offline':
      return { state: 'offline', ...seen };
    case 'agent.backpressure': {
      // The schema reads an unknown state as paused, the cautious assumption; so does this table.
      const resumed = event.payload.state === 'resumed';
      return {
        backpressure_state: resumed ? 'resumed' : 'paused',
        backpressure_since: resumed ? null : event.timestamp,
        backpressure_queue_size: event.payload.queueSize,
        ...seen,
      };
    }
    case 'agent.suspected_failure':
      return { state: 'suspected', suspected_at: event.timestamp };
    case 'agent.recovered':
      return { state: 'online', suspected_at: null, last_seen_at: event.payload.lastSeen };
    default:
      return unhandled(event);
  }
};

/** One row per agent: presence, capabilities, health and backpressure as last reported. */
export const agentProjection = defineProjection({
  name: 'agents',
  tables: [agents],
  handles: agentEventTypes,
  project: (event) => [upsert(agents.name, { agent_id: event.payload.agentId }, { ...columnsFor(event), updated_at: event.timestamp })],
});
