import { stableKey, type Append, type RowChange, type Upsert } from './rowChange';

interface RowChanges {
  append?: Append;
  upsert?: Upsert;
}

/**
 * The shortest list of changes with the same effect, one or two per row: Postgres rejects a
 * multi-row `INSERT ... ON CONFLICT DO UPDATE` that touches a row twice, and a batch of events
 * often updates the same task several times.
 *
 * Per row: an append counts only when it comes first (after it, or after an upsert, the row
 * exists and later appends do nothing); all upserts merge into one, later columns winning.
 * Rows keep the order in which they were first seen; different rows do not affect each other.
 */
export const foldChanges = (changes: readonly RowChange[]): RowChange[] => {
  const byRow = new Map<string, RowChanges>();
  for (const change of changes) {
    const id = JSON.stringify([change.table, stableKey(change.key)]);
    const row = byRow.get(id) ?? {};
    byRow.set(id, row);
    if (change.kind === 'append') {
      if (!row.append && !row.upsert) row.append = change;
    } else {
      row.upsert = row.upsert ? { ...row.upsert, set: { ...row.upsert.set, ...change.set } } : change;
    }
  }
  return [...byRow.values()].flatMap(({ append, upsert }) => [...(append ? [append] : []), ...(upsert ? [upsert] : [])]);
};
