import { agentProjection } from './agentProjection';
import { ProjectionSpecification } from './testing/projectionSpecification';
import { testEvent, testEventTime } from './testing/testEvent';

const at = (seconds: number) => testEventTime + seconds * 1000;
const agent = { agent_id: 'agent-7' };

const started = testEvent('agent.started', { agentId: 'agent-7', reason: null }, { at: at(0) });
const online = testEvent(
  'agent.online',
  { agentId: 'agent-7', agentClass: 'summariser', capabilities: ['summarise', 'translate'], capacity: 4, specializations: ['financial'], heartbeatIntervalMs: 5000 },
  { at: at(1) },
);
const heartbeat = (seconds: number) =>
  testEvent('agent.heartbeat', { agentId: 'agent-7', status: 'degraded', load: 0.75, memoryUsageBytes: 512_000_000, inFlight: 3 }, { at: at(seconds) });
const backpressure = (state: 'paused' | 'resumed', seconds: number) =>
  testEvent(
    'agent.backpressure',
    { agentId: 'agent-7', subscription: 'task.assigned.agent-7', state, queueSize: state === 'paused' ? 40 : 2, maxInFlight: 32, pausedMs: state === 'paused' ? null : 3000 },
    { at: at(seconds) },
  );
const suspected = testEvent(
  'agent.suspected_failure',
  { agentId: 'agent-7', lastSeen: at(2), timeoutMs: 15_000, lastLoad: 0.75, detectedBy: 'presence-monitor' },
  { at: at(20), source: 'did:agent:presence-monitor' },
);
const recovered = testEvent('agent.recovered', { agentId: 'agent-7', outageMs: 23_000, lastSeen: at(25) }, { at: at(26), source: 'did:agent:presence-monitor' });

const given = ProjectionSpecification.for(agentProjection).given;

describe('agentProjection', () => {
  it('agent.started marks the agent started', () =>
    given([]).when(started).thenRow('agents', agent, { state: 'started', last_seen_at: at(0), updated_at: at(0) }));

  it('agent.online records what the agent can do', () =>
    given([started])
      .when(online)
      .thenRow('agents', agent, {
        state: 'online',
        agent_class: 'summariser',
        capabilities: ['summarise', 'translate'],
        capacity: 4,
        specializations: ['financial'],
        heartbeat_interval_ms: 5000,
        last_seen_at: at(1),
      }));

  it('agent.heartbeat records health and load but leaves the state alone', () =>
    given([started, online])
      .when(heartbeat(2))
      .thenRow('agents', agent, {
        state: 'online',
        health: 'degraded',
        load: 0.75,
        memory_usage_bytes: 512_000_000,
        in_flight: 3,
        last_heartbeat_at: at(2),
        last_seen_at: at(2),
        updated_at: at(2),
      }));

  it('agent.paused marks the agent paused', () =>
    given([started, online])
      .when(testEvent('agent.paused', { agentId: 'agent-7', reason: 'operator' }, { at: at(3) }))
      .thenRow('agents', agent, { state: 'paused', last_seen_at: at(3) }));

  it('agent.offline marks the agent offline', () =>
    given([started, online])
      .when(testEvent('agent.offline', { agentId: 'agent-7', reason: 'system.shutdown' }, { at: at(4) }))
      .thenRow('agents', agent, { state: 'offline', last_seen_at: at(4) }));

  it('agent.backpressure paused records since when and how much is queued', () =>
    given([started, online])
      .when(backpressure('paused', 5))
      .thenRow('agents', agent, { state: 'online', backpressure_state: 'paused', backpressure_since: at(5), backpressure_queue_size: 40 }));

  it('agent.backpressure resumed after paused clears backpressure_since', () =>
    given([started, online, backpressure('paused', 5)])
      .when(backpressure('resumed', 8))
      .thenRow('agents', agent, { backpressure_state: 'resumed', backpressure_since: null, backpressure_queue_size: 2, last_seen_at: at(8) }));

  it('agent.backpressure with a state this reader does not know reads as paused', () =>
    given([])
      .when({ ...backpressure('paused', 5), payload: { ...backpressure('paused', 5).payload, state: 'throttled' } })
      .thenRow('agents', agent, { backpressure_state: 'paused', backpressure_since: at(5) }));

  it("agent.suspected_failure marks the agent suspected without moving last_seen_at to the monitor's view", () =>
    given([started, online, heartbeat(2)])
      .when(suspected)
      .thenRow('agents', agent, { state: 'suspected', suspected_at: at(20), last_seen_at: at(2), updated_at: at(20) }));

  it('a heartbeat from a suspected agent does not end the suspicion by itself', () =>
    given([started, online, suspected]).when(heartbeat(25)).thenRow('agents', agent, { state: 'suspected', suspected_at: at(20), last_seen_at: at(25) }));

  it('suspected → recovered brings the agent back online and clears suspected_at', () =>
    given([started, online, heartbeat(2), suspected])
      .when(recovered)
      .thenRow('agents', agent, { state: 'online', suspected_at: null, last_seen_at: at(25), updated_at: at(26) }));

  it('a full history gives one row with every column', () =>
    given([started, online, heartbeat(2), backpressure('paused', 5), suspected])
      .when(recovered)
      .then({
        table: 'agents',
        rows: [
          {
            agent_id: 'agent-7',
            state: 'online',
            agent_class: 'summariser',
            capabilities: ['summarise', 'translate'],
            capacity: 4,
            specializations: ['financial'],
            heartbeat_interval_ms: 5000,
            last_heartbeat_at: at(2),
            health: 'degraded',
            load: 0.75,
            memory_usage_bytes: 512_000_000,
            in_flight: 3,
            backpressure_state: 'paused',
            backpressure_since: at(5),
            backpressure_queue_size: 40,
            last_seen_at: at(25),
            suspected_at: null,
            updated_at: at(26),
          },
        ],
      }));

  it('a heartbeat from an agent not seen coming online still gets a row, with no state', () =>
    given([]).when(heartbeat(2)).thenRow('agents', agent, { state: null, health: 'degraded', capabilities: null, last_heartbeat_at: at(2) }));

  it.each([
    ['agent.online', online],
    ['agent.heartbeat', heartbeat(2)],
    ['agent.backpressure', backpressure('paused', 5)],
    ['agent.suspected_failure', suspected],
    ['agent.recovered', recovered],
  ])('applying %s twice changes nothing the second time', (_type, event) => given([started, event]).when(event).thenNothingChanged());
});
