import { jsonColumn } from './jsonColumn';
import { defineProjection, unhandled, type EventOf, type TableDefinition } from './projection';
import { append, upsert, type RowChange } from './rowChange';

const trustEventTypes = ['score.updated', 'violation.detected'] as const;
type TrustEvent = EventOf<(typeof trustEventTypes)[number]>;

const trustScores: TableDefinition = {
  name: 'trust_scores',
  key: ['agent_id'],
  columns: {
    agent_id: 'text',
    score: 'double',
    previous_score: 'double',
    reason: 'text',
    updated_at: 'timestamptz',
    last_violation_at: 'timestamptz',
  },
};

const trustScoreHistory: TableDefinition = {
  name: 'trust_score_history',
  key: ['event_id'],
  columns: {
    event_id: 'text',
    agent_id: 'text',
    score: 'double',
    previous_score: 'double',
    reason: 'text',
    at: 'timestamptz',
  },
};

const violations: TableDefinition = {
  name: 'violations',
  key: ['event_id'],
  columns: {
    event_id: 'text',
    agent_id: 'text',
    violation: 'text',
    severity: 'text',
    evidence: 'jsonb',
    at: 'timestamptz',
  },
};

const changesFor = (event: TrustEvent): RowChange[] => {
  const agent = { agent_id: event.payload.agentId };
  const recordedBy = { event_id: event.id };
  switch (event.type) {
    case 'score.updated': {
      const score = { score: event.payload.score, previous_score: event.payload.previousScore ?? null, reason: event.payload.reason ?? null };
      return [
        upsert(trustScores.name, agent, { ...score, updated_at: event.timestamp }),
        append(trustScoreHistory.name, recordedBy, { ...agent, ...score, at: event.timestamp }),
      ];
    }
    case 'violation.detected': {
      const { violation, severity, evidence } = event.payload;
      return [
        upsert(trustScores.name, agent, { last_violation_at: event.timestamp, updated_at: event.timestamp }),
        append(violations.name, recordedBy, { ...agent, violation, severity, evidence: jsonColumn(evidence), at: event.timestamp }),
      ];
    }
    default:
      return unhandled(event);
  }
};

/** Each agent's current trust score, with the history of scores and violations keyed by the event that recorded them. */
export const trustProjection = defineProjection({
  name: 'trust',
  tables: [trustScores, trustScoreHistory, violations],
  handles: trustEventTypes,
  project: (event) => changesFor(event),
});
