import { jsonColumn } from './jsonColumn';
import { defineProjection, unhandled, type EventOf, type TableDefinition } from './projection';
import { upsert, type Row } from './rowChange';

const decisionEventTypes = ['action.proposed', 'action.approved', 'action.vetoed'] as const;
type DecisionEvent = EventOf<(typeof decisionEventTypes)[number]>;

/*
 * No latency column: changes are written without reading the row, so an approval cannot see when
 * the action was proposed. The SQL view computes decided_at - proposed_at instead.
 */
const decisions: TableDefinition = {
  name: 'decisions',
  key: ['action_id'],
  columns: {
    action_id: 'text',
    action: 'text',
    arguments: 'jsonb',
    rationale: 'text',
    risk: 'text',
    proposed_by: 'text',
    proposed_at: 'timestamptz',
    deadline: 'timestamptz',
    status: 'text',
    decided_by: 'text',
    decided_at: 'timestamptz',
    decision_comment: 'text',
  },
};

const columnsFor = (event: DecisionEvent): Row => {
  switch (event.type) {
    case 'action.proposed': {
      const { action, rationale, risk, proposedBy, deadline } = event.payload;
      return {
        action,
        arguments: jsonColumn(event.payload.arguments),
        rationale: rationale ?? null,
        risk,
        proposed_by: proposedBy,
        proposed_at: event.timestamp,
        deadline: deadline ?? null,
        status: 'proposed',
      };
    }
    case 'action.approved':
      return { status: 'approved', decided_by: event.payload.approvedBy, decided_at: event.timestamp, decision_comment: event.payload.comment ?? null };
    case 'action.vetoed':
      return { status: 'vetoed', decided_by: event.payload.vetoedBy, decided_at: event.timestamp, decision_comment: event.payload.reason };
    default:
      return unhandled(event);
  }
};

/** One row per proposed action and the human or agent decision on it. */
export const decisionProjection = defineProjection({
  name: 'decisions',
  tables: [decisions],
  handles: decisionEventTypes,
  project: (event) => [upsert(decisions.name, { action_id: event.payload.actionId }, columnsFor(event))],
});
