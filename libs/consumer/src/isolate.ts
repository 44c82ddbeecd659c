import type { Knex } from 'knex';
import { isDatabaseSetupError, isRetriableDatabaseError } from '@agentbus/postgres-sink';
import type { ConsumedRecord, Rejection } from './types';

type Apply = (trx: Knex.Transaction, records: ConsumedRecord[]) => Promise<Rejection[]>;

/** The database refused the batch's data (not the connection, not the service's grants): it is applied again, isolating records. */
export class BatchRefused extends Error {
  constructor(readonly error: unknown) {
    super('batch refused by the database');
  }
}

export const applyWhole = async (trx: Knex.Transaction, records: ConsumedRecord[], apply: Apply): Promise<Rejection[]> => {
  try {
    return await apply(trx, records);
  } catch (error) {
    throw isRetriableDatabaseError(error) || isDatabaseSetupError(error) ? error : new BatchRefused(error);
  }
};

/**
 * Each record in its own savepoint, so a record the database refuses is rejected alone. Savepoints
 * cost two round trips each, so only a batch the database has refused once pays for them.
 */
export const applyOneByOne = async (trx: Knex.Transaction, records: ConsumedRecord[], apply: Apply): Promise<Rejection[]> => {
  const rejections: Rejection[] = [];
  for (const record of records) {
    try {
      rejections.push(...(await trx.transaction((savepoint) => apply(savepoint, [record]))));
    } catch (error) {
      if (isRetriableDatabaseError(error) || isDatabaseSetupError(error)) throw error;
      rejections.push({ record, error });
    }
  }
  return rejections;
};
