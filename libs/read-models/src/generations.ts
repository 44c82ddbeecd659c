import type { Knex } from 'knex';
import { assertIdentifier } from '@agentbus/postgres-sink';
import { allProjections } from '@agentbus/projections';
import { migrateSchema } from './migrations';

export const metaSchema = 'agentbus_meta';
export const readSchema = 'read';
export const analystRole = 'agentbus_analyst';
const generationPrefix = 'read_models_g';

/** The views analysts query; their names and columns are the stable contract, whatever generation is live. */
export const readViews = (schema: string): Record<string, string> => ({
  events: `select event_id, type, routing_key, source, occurred_at, entity_key, correlation_id, causation_id, schema_version, payload, topic, partition, kafka_offset, recorded_at from ${schema}.events`,
  tasks: `select * from ${schema}.tasks`,
  agents: `select * from ${schema}.agents`,
  decisions: `select *, extract(epoch from (decided_at - proposed_at)) * 1000 as approval_latency_ms from ${schema}.decisions`,
  ...Object.fromEntries(
    allProjections
      .flatMap((p) => p.tables.map((t) => t.name))
      .filter((name) => !['tasks', 'agents', 'decisions'].includes(name))
      .map((name) => [name, `select * from ${schema}.${name}`]),
  ),
});

export const generationSchema = (generation: number): string => `${generationPrefix}${generation}`;

const ensureMeta = async (db: Knex): Promise<void> => {
  await db.raw('create schema if not exists ??', [metaSchema]);
  if (!(await db.schema.withSchema(metaSchema).hasTable('projection_state'))) {
    await db.schema.withSchema(metaSchema).createTable('projection_state', (t) => {
      t.integer('id').primary();
      t.text('active_schema').notNullable();
      t.integer('generation').notNullable();
      t.timestamp('swapped_at', { useTz: true }).notNullable().defaultTo(db.fn.now());
    });
  }
};

/**
 * The live generation. `FOR SHARE` in a writer's transaction makes a swap (FOR UPDATE) wait for
 * in-flight batches, and makes the next batch wait for the swap: nobody writes to a retired schema.
 */
export const activeSchema = async (trx: Knex | Knex.Transaction, options: { share?: boolean } = {}): Promise<{ schema: string; generation: number }> => {
  let query = trx.withSchema(metaSchema).from('projection_state').select('active_schema', 'generation').where({ id: 1 });
  if (options.share) query = query.forShare();
  const row = (await query.first()) as { active_schema: string; generation: number } | undefined;
  if (!row) throw new Error(`no live read-model generation: run the projector (or agentbus topics setup) first`);
  return { schema: row.active_schema, generation: row.generation };
};

/** Creates generation 1, its views and the analyst role on first start; later starts only migrate. */
export const ensureLiveReadModels = async (db: Knex): Promise<{ schema: string; generation: number }> => {
  await ensureMeta(db);
  await db.raw('select pg_advisory_lock(hashtext(?))', ['agentbus.read_models.setup']);
  try {
    const existing = await db.withSchema(metaSchema).from('projection_state').where({ id: 1 }).first();
    if (existing) {
      await migrateSchema(db, existing.active_schema);
      await publishViews(db, existing.active_schema);
      return { schema: existing.active_schema, generation: existing.generation };
    }
    const schema = generationSchema(1);
    await migrateSchema(db, schema);
    await db.transaction(async (trx) => {
      await trx.withSchema(metaSchema).table('projection_state').insert({ id: 1, active_schema: schema, generation: 1 });
      await publishViews(trx, schema);
    });
    return { schema, generation: 1 };
  } finally {
    await db.raw('select pg_advisory_unlock(hashtext(?))', ['agentbus.read_models.setup']);
  }
};

/** Points the `read` views at a generation and grants the analyst SELECT on them, and nothing else. */
export const publishViews = async (db: Knex | Knex.Transaction, schema: string): Promise<void> => {
  assertIdentifier(schema);
  await db.raw('create schema if not exists ??', [readSchema]);
  await db.raw(`do $$ begin if not exists (select from pg_roles where rolname = '${analystRole}') then create role ${analystRole} nologin; end if; end $$`);
  for (const [name, sql] of Object.entries(readViews(schema))) {
    // A view's columns may not change shape under CREATE OR REPLACE, so the view is recreated.
    await db.raw(`drop view if exists ${readSchema}.${assertIdentifier(name)}`);
    await db.raw(`create view ${readSchema}.${name} as ${sql}`);
  }
  await db.raw(`grant usage on schema ${readSchema} to ${analystRole}`);
  await db.raw(`grant select on all tables in schema ${readSchema} to ${analystRole}`);
  await db.raw(`revoke all on schema ${metaSchema} from public`);
};

/** Reserves the next generation number and builds its (empty) schema. */
export const createShadowGeneration = async (db: Knex): Promise<{ schema: string; generation: number }> => {
  await ensureMeta(db);
  const live = await activeSchema(db);
  const existing: { nspname: string }[] = (await db.raw(`select nspname from pg_namespace where nspname like ?`, [`${generationPrefix}%`])).rows;
  const highest = Math.max(live.generation, ...existing.map((r) => Number(r.nspname.slice(generationPrefix.length)) || 0));
  const generation = highest + 1;
  const schema = generationSchema(generation);
  await migrateSchema(db, schema);
  return { schema, generation };
};

/** Shadow schemas of rebuilds that failed or were interrupted; never the live one. */
export const abandonedGenerations = async (db: Knex): Promise<string[]> => {
  const live = await activeSchema(db);
  const rows: { nspname: string }[] = (await db.raw(`select nspname from pg_namespace where nspname like ? and nspname <> ?`, [`${generationPrefix}%`, live.schema])).rows;
  return rows.map((r) => r.nspname);
};

export const dropGeneration = async (db: Knex, schema: string): Promise<void> => {
  const live = await activeSchema(db);
  if (schema === live.schema) throw new Error(`refusing to drop the live generation ${schema}`);
  await db.raw('drop schema if exists ?? cascade', [assertIdentifier(schema)]);
};

/**
 * Makes `schema` live in one transaction: readers of `read.*` switch atomically, and the live
 * projector, blocked on the state row meanwhile, continues from the offsets stored in `schema`.
 * `beforeSwitch` runs while writers are held (the rebuild's final catch-up).
 */
export const swapGeneration = async (db: Knex, target: { schema: string; generation: number }, beforeSwitch: () => Promise<void> = async () => undefined): Promise<{ retired: string }> =>
  db.transaction(async (trx) => {
    const live = await trx.withSchema(metaSchema).from('projection_state').where({ id: 1 }).forUpdate().first();
    await beforeSwitch();
    await trx.withSchema(metaSchema).table('projection_state').where({ id: 1 }).update({ active_schema: target.schema, generation: target.generation, swapped_at: trx.fn.now() });
    await publishViews(trx, target.schema);
    return { retired: live.active_schema as string };
  });
