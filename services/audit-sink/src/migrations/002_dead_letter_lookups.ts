import type { Knex } from 'knex';
import { DeadLetterHeaders, republishedFromHeader } from '@agentbus/bus';

/**
 * Whether a dead letter still waits (the console's list and count, services/console/src/reads/deadLetters.ts)
 * is two lookups per dead letter: the dead letters of the same source record, by their source headers,
 * and a re-published copy naming one of them. Unindexed, each was a scan of the whole trail. Both
 * indexes are partial (only dead letters carry the source headers, only re-published copies the other),
 * so ordinary records add nothing to them. Postgres keeps no statistics for a partial index's
 * expression and would guess that 0.5% of all records are copies of any one dead letter; planning the
 * "waiting" test for the first match, it then preferred a scan to the index. CREATE STATISTICS on the
 * expression (Postgres 14 or newer) gives it the real count.
 */
export const up = async (knex: Knex, names: { schema: string }): Promise<void> => {
  const { schema } = names;
  const source = [DeadLetterHeaders.sourceTopic, DeadLetterHeaders.sourcePartition, DeadLetterHeaders.sourceOffset].map((header) => `(headers ->> '${header}')`);
  await knex.raw(`create index records_dead_letter_source on ${schema}.records (topic, ${source.join(', ')}) where ${source[0]} is not null`);
  const republishedFrom = `(headers ->> '${republishedFromHeader}')`;
  await knex.raw(`create index records_republished_from on ${schema}.records (${republishedFrom}) where ${republishedFrom} is not null`);
  await knex.raw(`create statistics ${schema}.records_republished_from on ${republishedFrom} from ${schema}.records`);
  await knex.raw(`analyze ${schema}.records`);
};
