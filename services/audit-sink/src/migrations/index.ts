import type { Knex } from 'knex';
import { analystRole } from '@agentbus/read-models';
import * as m001 from './001_audit_trail';

export const auditSchema = 'audit';
/** Not in `read`: blue/green rebuilds of the read models recreate that schema's views. */
export const auditReadSchema = 'audit_read';
/** The role the sink writes as: INSERT (and SELECT) on the trail, nothing else. */
export const auditWriterRole = 'agentbus_audit_writer';

interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
}

const names = { schema: auditSchema, readSchema: auditReadSchema, writerRole: auditWriterRole, analystRole };
const migrations: Migration[] = [{ name: '001_audit_trail', up: (knex) => m001.up(knex, names) }];

/** Brings the audit schema up to date; run as the role that will own the trail. Idempotent, and safe to run from several processes. */
export const migrateAudit = async (db: Knex): Promise<string[]> => {
  await db.raw('create schema if not exists ??', [auditSchema]);
  const [, done] = await db.migrate.latest({
    schemaName: auditSchema,
    tableName: 'knex_migrations',
    migrationSource: {
      getMigrations: async () => migrations,
      getMigrationName: (m: Migration) => m.name,
      getMigration: async (m: Migration) => ({ up: (knex: Knex) => m.up(knex), down: async () => undefined }),
    },
  });
  return done as string[];
};
