import type { Knex } from 'knex';
import { assertIdentifier } from '@agentbus/postgres-sink';
import * as m001 from './001_event_store_and_read_models';
import * as m002 from './002_sagas';

interface Migration {
  name: string;
  up(knex: Knex, schema: string): Promise<void>;
}

const migrations: Migration[] = [
  { name: '001_event_store_and_read_models', up: m001.up },
  { name: '002_sagas', up: m002.up },
];

/**
 * Runs knex migrations into one generation schema. Every generation (live or shadow) is built by
 * the same migrations, so a blue/green rebuild produces exactly the live layout.
 */
export const migrateSchema = async (db: Knex, schema: string): Promise<string[]> => {
  assertIdentifier(schema);
  await db.raw('create schema if not exists ??', [schema]);
  const [, done] = await db.migrate.latest({
    schemaName: schema,
    tableName: 'knex_migrations',
    migrationSource: {
      getMigrations: async () => migrations,
      getMigrationName: (m: Migration) => m.name,
      getMigration: async (m: Migration) => ({ up: (knex: Knex) => m.up(knex, schema), down: async () => undefined }),
    },
  });
  return done as string[];
};
