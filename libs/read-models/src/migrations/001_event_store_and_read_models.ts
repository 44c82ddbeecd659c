import type { Knex } from 'knex';
import { allProjections, type ColumnType } from '@agentbus/projections';

// The read-model tables are created from the projections' TableDefinitions as they were when this
// migration was written; later changes need their own migration (a test compares the two).
const column = (t: Knex.CreateTableBuilder, name: string, type: ColumnType): void => {
  switch (type) {
    case 'text':
      t.text(name);
      return;
    case 'integer':
      t.integer(name);
      return;
    case 'bigint':
      t.bigInteger(name);
      return;
    case 'double':
      t.double(name);
      return;
    case 'boolean':
      t.boolean(name);
      return;
    case 'timestamptz':
      t.timestamp(name, { useTz: true });
      return;
    case 'jsonb':
      t.jsonb(name);
      return;
    case 'text[]':
      t.specificType(name, 'text[]');
      return;
  }
};

export const up = async (knex: Knex, schema: string): Promise<void> => {
  await knex.schema.withSchema(schema).createTable('events', (t) => {
    t.text('event_id').primary();
    t.text('type').notNullable();
    t.text('routing_key').notNullable();
    t.text('source').notNullable();
    t.timestamp('occurred_at', { useTz: true }).notNullable();
    t.text('entity_key');
    t.text('correlation_id');
    t.text('causation_id');
    t.text('schema_version').notNullable();
    t.jsonb('payload').notNullable();
    t.text('topic').notNullable();
    t.integer('partition').notNullable();
    t.bigInteger('kafka_offset').notNullable();
    t.integer('schema_id');
    t.timestamp('recorded_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.index(['entity_key', 'occurred_at'], 'events_entity_time');
    t.index(['correlation_id', 'occurred_at'], 'events_correlation_time');
    t.index(['type', 'occurred_at'], 'events_type_time');
  });
  for (const projection of allProjections) {
    for (const table of projection.tables) {
      await knex.schema.withSchema(schema).createTable(table.name, (t) => {
        for (const [name, type] of Object.entries(table.columns)) column(t, name, type);
        t.primary([...table.key]);
      });
    }
  }
  await knex.schema.withSchema(schema).alterTable('tasks', (t) => {
    t.index(['assignee', 'created_at'], 'tasks_assignee_created');
    t.index(['status'], 'tasks_status');
  });
};
