import type { Page } from '../views';
import type { Knex } from 'knex';
import { analystRole } from '@agentbus/read-models';

/**
 * Every read the console serves runs as the analyst role: whatever the connection's own grants,
 * it sees only the `read` and `audit_read` views, and cannot write.
 */
export const asAnalyst = <T>(db: Knex, read: (trx: Knex.Transaction) => Promise<T>): Promise<T> =>
  db.transaction(
    async (trx) => {
      await trx.raw(`set local role ${analystRole}`);
      return read(trx);
    },
    { readOnly: true },
  );

export const pageLimit = (value: unknown, fallback = 50): number => {
  const n = Number(value);
  return Number.isInteger(n) && n >= 1 && n <= 500 ? n : fallback;
};

/** A page and the cursor of the next one (null on the last page). */

export const pageOf = <T>(rows: T[], limit: number, cursor: (last: T) => string): Page<T> => ({
  items: rows.slice(0, limit),
  next: rows.length > limit ? cursor(rows[limit - 1]!) : null,
});
