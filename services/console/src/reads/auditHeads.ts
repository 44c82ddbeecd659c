import type { Knex } from 'knex';

export interface ChainHeadView {
  topic: string;
  partition: number;
  rows: string;
  nextOffset: string;
  lastHash: string;
  updatedAt: Date;
}

/** Each partition's chain head, and the last verification an operator ran (from the trail itself). */
export const readAuditHeads = async (trx: Knex.Transaction) => {
  const heads = ((await trx.raw(`select topic, partition, rows, next_offset, last_hash, updated_at from audit_read.chain_heads order by topic, partition`)).rows as Record<string, unknown>[]).map(
    (r): ChainHeadView => ({ topic: r.topic as string, partition: r.partition as number, rows: String(r.rows), nextOffset: String(r.next_offset), lastHash: r.last_hash as string, updatedAt: r.updated_at as Date }),
  );
  const last = (
    await trx.raw(`select occurred_at, payload from audit_read.records where type = 'operator.action' and payload ->> 'action' = 'audit.verify' order by occurred_at desc limit 1`)
  ).rows[0] as { occurred_at: Date; payload: { operator: string; outcome: string } } | undefined;
  return { heads, lastVerification: last ? { at: last.occurred_at, by: last.payload.operator, ...(JSON.parse(last.payload.outcome) as object) } : null };
};
