import type { Knex } from 'knex';
import { DeadLetterHeaders, deadLetterFacts, republishedFromHeader } from '@agentbus/bus';
import { pageOf } from './analyst';
import type { Page, DeadLetterView } from '../views';

// A dead letter waits until its source record has been re-published (by the console or by
// `agentbus dlq replay`, which mark the copy with the dead letter it came from). The copy reaches
// the audit trail like every record, so the analysts' view answers this. (No jsonb `?` here: knex
// reads it as a binding.) The audit sink's migration 002 indexes both lookups, with these expressions.
const waiting = `not exists (
  select 1 from audit_read.records copy
  join audit_read.records origin on origin.topic = d.topic and copy.headers ->> '${republishedFromHeader}' = origin.topic || '/' || origin.partition || '/' || origin.kafka_offset
  where origin.headers ->> '${DeadLetterHeaders.sourceTopic}' = d.headers ->> '${DeadLetterHeaders.sourceTopic}'
    and origin.headers ->> '${DeadLetterHeaders.sourcePartition}' = d.headers ->> '${DeadLetterHeaders.sourcePartition}'
    and origin.headers ->> '${DeadLetterHeaders.sourceOffset}' = d.headers ->> '${DeadLetterHeaders.sourceOffset}')`;

const toView = (r: { partition: number; kafka_offset: string; headers: Record<string, string>; record_key: Buffer | null; bytes: number | null }): DeadLetterView => {
  const { failedAt, ...facts } = deadLetterFacts(r.headers);
  return {
    ref: `${r.partition}:${r.kafka_offset}`,
    partition: r.partition,
    offset: String(r.kafka_offset),
    failedAt: Number.isFinite(failedAt) && failedAt > 0 ? new Date(failedAt).toISOString() : null,
    ...facts,
    key: r.record_key ? r.record_key.toString('utf8') : null,
    bytes: r.bytes ?? 0,
  };
};

export const parseRef = (ref: string): { partition: number; offset: string } | undefined => {
  const m = /^(\d{1,9}):(\d{1,19})$/.exec(ref);
  return m ? { partition: Number(m[1]), offset: m[2]! } : undefined;
};

/** Dead letters still waiting (or all of them), by position in the dead-letter topic, a keyset page at a time. */
export const listDeadLetters = async (trx: Knex.Transaction, options: { topic: string; all?: boolean; after?: string; limit: number }): Promise<Page<DeadLetterView>> => {
  const after = options.after ? parseRef(options.after) : undefined;
  const rows = (
    await trx.raw(
      `select d.partition, d.kafka_offset, d.headers, d.record_key, length(d.raw) as bytes from audit_read.records d
       where d.topic = ? ${after ? 'and (d.partition, d.kafka_offset) > (?, ?)' : ''} ${options.all ? '' : `and ${waiting}`}
       order by d.partition, d.kafka_offset limit ?`,
      [options.topic, ...(after ? [after.partition, after.offset] : []), options.limit + 1],
    )
  ).rows;
  return pageOf(rows.map(toView), options.limit, (d) => d.ref);
};

export const countWaitingDeadLetters = async (trx: Knex.Transaction, topic: string): Promise<number> =>
  Number((await trx.raw(`select count(*)::int as n from audit_read.records d where d.topic = ? and ${waiting}`, [topic])).rows[0].n);

export const findDeadLetter = async (trx: Knex.Transaction, topic: string, ref: { partition: number; offset: string }) => {
  const row = (await trx.raw(`select d.partition, d.kafka_offset, d.headers, d.record_key, d.raw, length(d.raw) as bytes, ${waiting} as waiting from audit_read.records d where d.topic = ? and d.partition = ? and d.kafka_offset = ?`, [topic, ref.partition, ref.offset])).rows[0];
  if (!row) return undefined;
  const headers = Object.fromEntries(Object.entries(row.headers as Record<string, string>).filter(([name]) => !(Object.values(DeadLetterHeaders) as string[]).includes(name)));
  return { ...toView(row), waiting: row.waiting as boolean, headers, raw: row.raw as Buffer | null };
};
