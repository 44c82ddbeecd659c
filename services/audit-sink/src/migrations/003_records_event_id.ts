import type { Knex } from 'knex';

/**
 * One record of the trail by event id: the console opens every node of a trace this way
 * (GET /api/events/:id). Without an index that read the whole trail, ~0.5 s at a million records.
 */
export const up = async (knex: Knex, names: { schema: string }): Promise<void> => {
  await knex.raw(`create index if not exists records_event_id on ${names.schema}.records (event_id)`);
};
