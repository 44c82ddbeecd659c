import type { Knex } from 'knex';

/**
 * Every index is paid for on every stored record, so the trail keeps only those a reader uses:
 * the primary key (verify reads chains by position), the offset (dead letters, once per offset),
 * correlation (traces), event id (the console's event page), and the dead-letter lookups.
 * (source, occurred_at) had no reader but the analysts' "what did agent X do between T1 and T2",
 * and (type, occurred_at) served only the decision view and the console's last verification, a
 * few rows among millions. They are replaced by a partial index on those types and a BRIN index
 * on occurred_at (records arrive roughly in time order, so a few pages of block ranges narrow any
 * time window), which cost a store almost nothing.
 */
const decisionTypes = ['action.proposed', 'action.approved', 'action.vetoed', 'operator.action'] as const;

export const up = async (knex: Knex, names: { schema: string }): Promise<void> => {
  const { schema } = names;
  await knex.raw(`create index if not exists records_decisions_time on ${schema}.records (type, occurred_at) where type in (${decisionTypes.map((t) => `'${t}'`).join(', ')})`);
  await knex.raw(`create index if not exists records_occurred_at_brin on ${schema}.records using brin (occurred_at)`);
  await knex.raw(`drop index if exists ${schema}.records_source_time`);
  await knex.raw(`drop index if exists ${schema}.records_type_time`);
};
