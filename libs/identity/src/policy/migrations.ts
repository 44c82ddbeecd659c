import type { Knex } from 'knex';
import { runMigrations, type SchemaMigration } from '@agentbus/postgres-sink';

export const identitySchema = 'identity';
/** What services read the policy as: SELECT on the agents table, nothing else. */
export const policyReaderRole = 'agentbus_policy_reader';


const migrations: SchemaMigration[] = [
  {
    name: '001_agent_policy',
    up: async (knex) => {
      await knex.schema.withSchema(identitySchema).createTable('agents', (t) => {
        t.text('did').primary();
        t.text('name');
        t.specificType('types', 'text[]').notNullable();
        t.timestamp('allowed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
        t.timestamp('revoked_at', { useTz: true });
        t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
      });
      await knex.raw(`do $$ begin if not exists (select from pg_roles where rolname = '${policyReaderRole}') then create role ${policyReaderRole} nologin; end if; end $$`);
      await knex.raw(`revoke all on schema ${identitySchema} from public`);
      await knex.raw(`revoke all on all tables in schema ${identitySchema} from public`);
      await knex.raw(`grant usage on schema ${identitySchema} to ${policyReaderRole}`);
      await knex.raw(`grant select on ${identitySchema}.agents to ${policyReaderRole}`);
    },
  },
];

/** Brings the policy schema up to date; run as the role that manages the policy (the CLI's). Idempotent, safe from several processes. */
export const migrateIdentity = async (db: Knex): Promise<string[]> => {
  return runMigrations(db, identitySchema, migrations);
};
