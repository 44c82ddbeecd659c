import type { Knex } from 'knex';

// Generations created before the saga projection existed get its tables here; newer ones already
// have them from 001, which builds every projection's tables.
export const up = async (knex: Knex, schema: string): Promise<void> => {
  if (!(await knex.schema.withSchema(schema).hasTable('sagas'))) {
    await knex.schema.withSchema(schema).createTable('sagas', (t) => {
      t.text('saga_id').primary();
      t.text('saga_name');
      t.text('status');
      t.jsonb('input');
      t.text('correlation_id');
      t.text('requested_by');
      t.timestamp('requested_at', { useTz: true });
      t.timestamp('started_at', { useTz: true });
      t.text('current_step');
      t.text('failed_step');
      t.text('reason');
      t.jsonb('output');
      t.boolean('alerted');
      t.timestamp('updated_at', { useTz: true });
      t.timestamp('finished_at', { useTz: true });
    });
  }
  if (!(await knex.schema.withSchema(schema).hasTable('saga_timeline'))) {
    await knex.schema.withSchema(schema).createTable('saga_timeline', (t) => {
      t.text('event_id').primary();
      t.text('saga_id');
      t.timestamp('occurred_at', { useTz: true });
      t.text('type');
      t.text('step_id');
      t.text('phase');
      t.integer('attempt');
      t.text('agent_id');
      t.text('detail');
    });
  }
  await knex.raw('create index if not exists saga_timeline_saga_time on ??.saga_timeline (saga_id, occurred_at)', [schema]);
  await knex.raw('create index if not exists sagas_status on ??.sagas (status)', [schema]);
};
