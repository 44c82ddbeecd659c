import type { Knex } from 'knex';

/**
 * What the operator console asks of the read models at scale (issue 16: 1M events, 100k sagas):
 * - the overview counts the last minute's events per topic, read.events by recorded_at;
 * - a saga search matches part of a saga id or name (ILIKE '%…%') or a whole correlation id:
 *   trigram indexes answer the first two and a b-tree the third, so a search reads its matches
 *   rather than every saga (~140 ms at 100k sagas without them).
 * pg_trgm ships with Postgres (contrib) and is trusted since Postgres 13, so the database's owner
 * may create it; where it cannot be created the search still works, by reading every saga.
 */
export const up = async (knex: Knex, schema: string): Promise<void> => {
  await knex.raw('create index if not exists events_recorded_at on ??.events (recorded_at)', [schema]);
  await knex.raw('create index if not exists sagas_correlation on ??.sagas (correlation_id)', [schema]);
  const trigrams = await trigramSchema(knex);
  if (!trigrams) return;
  await knex.raw('create index if not exists sagas_id_trigrams on ??.sagas using gin (saga_id ??.gin_trgm_ops)', [schema, trigrams]);
  await knex.raw('create index if not exists sagas_name_trigrams on ??.sagas using gin (saga_name ??.gin_trgm_ops)', [schema, trigrams]);
};

/** The schema pg_trgm's operator classes live in, after creating it where this role may; undefined where it may not. */
const trigramSchema = async (knex: Knex): Promise<string | undefined> => {
  const installed = async () => (await knex.raw(`select extnamespace::regnamespace::text as schema from pg_extension where extname = 'pg_trgm'`)).rows[0]?.schema as string | undefined;
  const existing = await installed();
  if (existing) return existing;
  const allowed = (
    await knex.raw(`
      select exists (select 1 from pg_available_extensions where name = 'pg_trgm')
         and has_database_privilege(current_database(), 'CREATE')
         and (current_setting('server_version_num')::int >= 130000 or (select rolsuper from pg_roles where rolname = current_user)) as allowed`)
  ).rows[0].allowed as boolean;
  if (!allowed) return undefined;
  await knex.raw('create extension if not exists pg_trgm');
  return installed();
};
