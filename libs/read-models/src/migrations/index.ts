import type { Knex } from 'knex';
import { assertIdentifier, runMigrations } from '@agentbus/postgres-sink';
import * as m001 from './001_event_store_and_read_models';
import * as m002 from './002_sagas';
import * as m003 from './003_console_reads';

interface Migration {
  name: string;
  up(knex: Knex, schema: string): Promise<void>;
}

const migrations: Migration[] = [
  { name: '001_event_store_and_read_models', up: m001.up },
  { name: '002_sagas', up: m002.up },
  { name: '003_console_reads', up: m003.up },
];

/**
 * Runs knex migrations into one generation schema. Every generation (live or shadow) is built by
 * the same migrations, so a blue/green rebuild produces exactly the live layout.
 */
export const migrateSchema = async (db: Knex, schema: string): Promise<string[]> => {
  assertIdentifier(schema);
  return runMigrations(db, schema, migrations.map((m) => ({ name: m.name, up: (knex: Knex) => m.up(knex, schema) })));
};
