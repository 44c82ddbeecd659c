import type { Knex } from 'knex';
import { runMigrations, type SchemaMigration } from '@agentbus/postgres-sink';
import { analystRole } from '@agentbus/read-models';
import * as m001 from './001_audit_trail';
import * as m002 from './002_dead_letter_lookups';
import * as m003 from './003_records_event_id';
import * as m004 from './004_write_cheaper_indexes';

export const auditSchema = 'audit';
/** Not in `read`: blue/green rebuilds of the read models recreate that schema's views. */
export const auditReadSchema = 'audit_read';
/** The role the sink writes as: INSERT (and SELECT) on the trail, nothing else. */
export const auditWriterRole = 'agentbus_audit_writer';


const names = { schema: auditSchema, readSchema: auditReadSchema, writerRole: auditWriterRole, analystRole };
const migrations: SchemaMigration[] = [
  { name: '001_audit_trail', up: (knex) => m001.up(knex, names) },
  { name: '002_dead_letter_lookups', up: (knex) => m002.up(knex, names) },
  { name: '003_records_event_id', up: (knex) => m003.up(knex, names) },
  { name: '004_write_cheaper_indexes', up: (knex) => m004.up(knex, names) },
];

/** Brings the audit schema up to date; run as the role that will own the trail. Idempotent, and safe to run from several processes. */
export const migrateAudit = async (db: Knex): Promise<string[]> => {
  return runMigrations(db, auditSchema, migrations);
};
