import type { Knex } from 'knex';

export interface SagaRow {
  saga_id: string;
  saga_name: string | null;
  status: string | null;
  current_step: string | null;
  failed_step: string | null;
  reason: string | null;
  alerted: boolean | null;
  started_at: Date | null;
  finished_at: Date | null;
  correlation_id: string | null;
}

export interface TimelineRow {
  event_id: string;
  occurred_at: Date;
  type: string;
  step_id: string | null;
  phase: string | null;
  attempt: number | null;
  agent_id: string | null;
  detail: string | null;
}

/** `agentbus saga show` and the console's saga page: a saga and its timeline from read.sagas and read.saga_timeline. */
export const loadSagaTimeline = async (db: Knex | Knex.Transaction, sagaId: string): Promise<{ saga: SagaRow; timeline: TimelineRow[] } | undefined> => {
  const saga = (await db.withSchema('read').from('sagas').where({ saga_id: sagaId }).first()) as SagaRow | undefined;
  if (!saga) return undefined;
  const timeline = (await db.withSchema('read').from('saga_timeline').where({ saga_id: sagaId }).orderBy([{ column: 'occurred_at' }, { column: 'event_id' }])) as TimelineRow[];
  return { saga, timeline };
};
