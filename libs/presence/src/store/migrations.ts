import type { Knex } from 'knex';
import { runMigrations, type SchemaMigration } from '@agentbus/postgres-sink';
import { analystRole, readSchema } from '@agentbus/read-models';
import { presenceSchema, presenceTable, presenceView } from './presenceTable';


const migrations: SchemaMigration[] = [
  {
    name: '001_presence_agents',
    up: async (knex) => {
      await knex.schema.withSchema(presenceSchema).createTable(presenceTable, (t) => {
        t.text('agent_id').primary();
        t.integer('partition').notNullable();
        t.text('status').notNullable();
        t.text('agent_class');
        t.specificType('capabilities', 'text[]').notNullable();
        t.specificType('specializations', 'text[]').notNullable();
        t.integer('capacity').notNullable();
        t.integer('heartbeat_interval_ms');
        t.text('health');
        t.double('load');
        t.bigInteger('memory_usage_bytes');
        t.integer('in_flight');
        t.text('backpressure_state');
        t.timestamp('backpressure_since', { useTz: true });
        t.integer('backpressure_queue_size');
        t.timestamp('last_seen_at', { useTz: true }).notNullable();
        t.timestamp('last_heartbeat_at', { useTz: true });
        t.timestamp('suspected_at', { useTz: true });
        t.integer('timeout_ms').notNullable();
        t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
        t.index(['partition'], 'presence_agents_partition');
      });
      // Discovery filters online agents by capability; a GIN index answers `? = any(capabilities)`.
      await knex.raw(`create index presence_agents_capabilities on ${presenceSchema}.${presenceTable} using gin (capabilities) where status = 'online'`);
    },
  },
  {
    // A monitor that adopts an agent must still tell a redelivery of its newest event from another
    // event of the same millisecond.
    name: '002_presence_last_event_id',
    up: async (knex) => {
      await knex.schema.withSchema(presenceSchema).alterTable(presenceTable, (t) => t.text('last_event_id'));
    },
  },
];

/**
 * Creates or migrates the presence schema, then (re)publishes `read.presence_agents` for the
 * analyst role, which may only read through the `read` schema.
 */
export const migratePresence = async (db: Knex): Promise<string[]> => {
  await db.raw('select pg_advisory_lock(hashtext(?))', ['agentbus.presence.setup']);
  try {
    const done = await runMigrations(db, presenceSchema, migrations);
    await db.raw('create schema if not exists ??', [readSchema]);
    await db.raw(`do $$ begin if not exists (select from pg_roles where rolname = '${analystRole}') then create role ${analystRole} nologin; end if; end $$`);
    await db.raw(`create or replace view ${readSchema}.${presenceView} as select * from ${presenceSchema}.${presenceTable}`);
    await db.raw(`grant usage on schema ${readSchema} to ${analystRole}`);
    await db.raw(`grant select on ${readSchema}.${presenceView} to ${analystRole}`);
    return done;
  } finally {
    await db.raw('select pg_advisory_unlock(hashtext(?))', ['agentbus.presence.setup']);
  }
};
