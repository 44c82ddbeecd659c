import type { Knex } from 'knex';
import { PartitionConsumer } from '@agentbus/consumer';
import { assertIdentifier, createOffsetsTable, readOffsets, writeOffsets } from '@agentbus/postgres-sink';
import type { Projection } from '@agentbus/projections';
import { activeSchema, metaSchema, publishViews, readSchema, readViews } from './generations';
import { projectionTarget } from './projectionTarget';
import { bulkPhase, positions, sum, type Positions, type RebuildOptions } from './rebuild';

export interface ProjectionRebuildOptions extends Omit<RebuildOptions, 'projections'> {
  projection: Projection;
}

export interface ProjectionRebuildResult {
  projection: string;
  tables: string[];
  /** Where the live tables are now (the generation), or where the as-of-`to` tables were built. */
  schema: string;
  swapped: boolean;
  events: number;
}

const stagingPrefix = 'rebuild_';

const toOffsetRows = (m: Positions) =>
  [...m].map(([key, nextOffset]) => ({ topic: key.slice(0, key.lastIndexOf('/')), partition: Number(key.slice(key.lastIndexOf('/') + 1)), nextOffset }));

/**
 * Rebuilds one projection's tables while the live projector keeps writing every table.
 *
 * The new tables are built in a staging schema up to the offsets the live projector has stored,
 * in rounds that chase them, never past them: a table ahead of the live offsets would see the
 * live projector apply those events a second time. The last round runs with the live writers held
 * (the swap lock), so the staged tables are exactly as far as the live ones when they replace them.
 */
export const rebuildProjection = async (options: ProjectionRebuildOptions): Promise<ProjectionRebuildResult> => {
  const { db, logger, projection } = options;
  const tables = projection.tables.map((t) => assertIdentifier(t.name));
  if (options.from && !options.to) throw new Error('a single projection rebuilt from a later time could not continue live; give --to as well, or rebuild all');
  for (const abandoned of await abandonedStaging(db)) await db.raw('drop schema if exists ?? cascade', [abandoned]);
  const live = await activeSchema(db);
  const staging = assertIdentifier(`${stagingPrefix}${projection.name}_${Date.now().toString(36)}`);
  const retired = assertIdentifier(`${staging}_retired`);
  logger.info({ projection: projection.name, staging, live: live.schema }, 'rebuilding one projection into a staging schema');
  let sink: PartitionConsumer | undefined;
  let round = 0;

  // The staging sink applies records below `stopAt` and waits until it has stored that far.
  const applyUpTo = async (stopAt: Positions, start: Positions, phase: 'rebuilding' | 'catching up' | 'swapping'): Promise<void> => {
    const total = Number(sum(stopAt) - sum(start));
    const stored = async () => readOffsets(db, staging, options.consumer);
    const reached = (at: Map<string, bigint>) => [...stopAt].every(([key, target]) => (at.get(key) ?? start.get(key)!) >= target);
    if (reached(await stored())) return;
    sink = new PartitionConsumer({
      kafka: options.kafka,
      codec: options.codec,
      db,
      databaseUrl: options.databaseUrl,
      name: options.consumer,
      groupId: `agentbus-rebuild-${staging}-${round++}`,
      topics: options.topics,
      target: projectionTarget({ projections: [projection], schema: staging }),
      deadLetterTopic: options.deadLetterTopic,
      logger: logger.child({ component: 'rebuild', projection: projection.name }),
      stopAt,
      partitionsConcurrently: options.partitionsConcurrently ?? 2,
      consumerConfig: { maxWaitTimeInMs: 250 },
      synchronousCommit: false,
      ...(options.onBatch ? { onBatch: options.onBatch } : {}),
      ...(options.identity ? { identity: options.identity } : {}),
    });
    await sink.start();
    try {
      for (;;) {
        const at = await stored();
        const done = [...stopAt].reduce((n, [key]) => n + Number((at.get(key) ?? start.get(key)!) - start.get(key)!), 0);
        options.onProgress?.({ done: Math.min(done, total), total, phase });
        if (reached(at)) return;
        if (!sink.isRunning) throw new Error('the rebuild consumer stopped');
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await sink.stop();
      sink = undefined;
    }
  };

  // The first round in bulk; the rounds continue from the offsets it stored.
  const bulkUpTo = async (end: Positions, start: Positions): Promise<void> => {
    if (options.bulk !== false) await bulkPhase(options, { projections: [projection], schema: staging, start, end, logger: logger.child({ component: 'rebuild', projection: projection.name }) });
  };

  // Partitions the live projector has not stored yet will be read from their start.
  const liveOffsets = async (trx: Knex | Knex.Transaction, low: Positions): Promise<Positions> => {
    const stored = await readOffsets(trx, live.schema, options.consumer);
    return new Map([...low].map(([key, offset]) => [key, stored.get(key) ?? offset]));
  };

  try {
    await db.raw('create schema ??', [staging]);
    // The event store deduplicates by id here too; it is dropped with the staging schema.
    for (const table of ['events', ...tables]) await db.raw('create table ??.?? (like ??.?? including all)', [staging, table, live.schema, table]);
    await createOffsetsTable(db, staging);
    const low = await positions(options.kafka, options.topics, 'low');
    const start = options.from ? await positions(options.kafka, options.topics, options.from) : low;
    await db.transaction((trx) => writeOffsets(trx, staging, options.consumer, toOffsetRows(start)));

    if (options.to) {
      const stopAt = await positions(options.kafka, options.topics, new Date(options.to.getTime() + 1));
      await bulkUpTo(stopAt, start);
      await applyUpTo(stopAt, start, 'rebuilding');
      return { projection: projection.name, tables, schema: staging, swapped: false, events: Number(sum(stopAt) - sum(start)) };
    }

    let target = await liveOffsets(db, low);
    await bulkUpTo(target, start);
    await applyUpTo(target, start, 'rebuilding');
    // Chase the live projector until one round has little left, so the held round is short.
    for (let chase = 0; chase < 5; chase++) {
      const next = await liveOffsets(db, low);
      if (sum(next) - sum(target) < 1000n) break;
      target = next;
      await applyUpTo(target, start, 'catching up');
    }

    let events = 0;
    await db.transaction(async (trx) => {
      // Live writers take this row FOR SHARE in every batch: holding it FOR UPDATE freezes their offsets.
      await trx.withSchema(metaSchema).from('projection_state').where({ id: 1 }).forUpdate().first();
      const now = await activeSchema(trx);
      if (now.schema !== live.schema) throw new Error(`the live generation changed from ${live.schema} to ${now.schema} during the rebuild; run it again`);
      const final = await liveOffsets(trx, low);
      await applyUpTo(final, start, 'swapping');
      events = Number(sum(final) - sum(start));
      await trx.raw('create schema ??', [retired]);
      // Readers lock a view before its table; taking them in the same order here avoids a deadlock.
      for (const table of tables) if (table in readViews(live.schema)) await trx.raw('lock table ??.?? in access exclusive mode', [readSchema, table]);
      for (const table of tables) {
        await trx.raw('alter table ??.?? set schema ??', [live.schema, table, retired]);
        await trx.raw('alter table ??.?? set schema ??', [staging, table, live.schema]);
      }
      await publishViews(trx, live.schema);
    });
    logger.info({ projection: projection.name, schema: live.schema, tables }, 'rebuilt projection is live');
    await db.raw('drop schema if exists ?? cascade', [retired]);
    await db.raw('drop schema if exists ?? cascade', [staging]);
    return { projection: projection.name, tables, schema: live.schema, swapped: true, events };
  } catch (error) {
    await sink?.stop().catch(() => undefined);
    await db.raw('drop schema if exists ?? cascade', [staging]).catch(() => undefined);
    throw error;
  }
};

/** Staging schemas of single-projection rebuilds that failed or were interrupted. */
const abandonedStaging = async (db: Knex): Promise<string[]> => {
  const rows: { nspname: string }[] = (await db.raw(`select nspname from pg_namespace where nspname like ?`, [`${stagingPrefix.replace('_', '\\_')}%`])).rows;
  return rows.map((r) => r.nspname);
};
