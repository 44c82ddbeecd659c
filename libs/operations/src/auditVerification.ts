import type { Knex } from 'knex';
import { auditRecordFromRow, verifyChain, type AuditRow, type ChainProblem, type ChainVerification, type StoredChainRow } from '@agentbus/audit';
import { eventCategories, topicName, type EventCategory } from '@agentbus/events';
import { NotRecordedError, OperationsErrorCodes } from './errors';

const pageSize = 5000;

/** A partition's rows in chain order, a page at a time. */
async function* chainRows(db: Knex, topic: string, partition: number, fromPosition: bigint): AsyncGenerator<StoredChainRow> {
  let next = fromPosition;
  for (;;) {
    const rows: AuditRow[] = await db.withSchema('audit').from('records').where({ topic, partition }).andWhere('position', '>=', next.toString()).orderBy('position').limit(pageSize);
    for (const row of rows) yield { record: auditRecordFromRow(row), position: BigInt(row.position), prevHash: row.prev_hash, hash: row.hash };
    if (rows.length < pageSize) return;
    next = BigInt(rows.at(-1)!.position) + 1n;
  }
}

export const resolveTopic = (prefix: string, topic: string): string =>
  (eventCategories as readonly string[]).includes(topic) || topic === 'dlq' ? topicName(prefix, topic as EventCategory) : topic;

/** `agentbus audit verify` and the console's verification: recomputes every partition's hash chain from the stored rows. */
export const verifyAuditTrail = async (db: Knex, options: { prefix: string; topic?: string; from?: Date }): Promise<ChainVerification[]> => {
  const exists = (await db.raw(`select to_regclass('audit.records') as t`)).rows[0].t;
  if (!exists) throw new NotRecordedError(OperationsErrorCodes.auditTrailMissing, 'no audit trail in this database: start the audit sink (services/audit-sink) first');
  const heads: { topic: string; partition: number; rows: string; last_hash: Buffer }[] = (await db.raw('select topic, partition, rows, last_hash from audit.chain_heads')).rows;
  const stored: { topic: string; partition: number }[] = (await db.raw('select topic, partition from audit.records group by topic, partition')).rows;
  const topic = options.topic === undefined ? undefined : resolveTopic(options.prefix, options.topic);
  const partitions = new Map<string, { topic: string; partition: number }>();
  for (const p of [...heads, ...stored]) if (!topic || p.topic === topic) partitions.set(`${p.topic}/${p.partition}`, { topic: p.topic, partition: p.partition });
  if (topic && partitions.size === 0) throw new NotRecordedError(OperationsErrorCodes.auditTopicUnknown, `no records of topic ${topic} in the audit trail`);
  const results: ChainVerification[] = [];
  for (const { topic: t, partition } of [...partitions.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)) {
    let fromPosition: bigint | undefined;
    if (options.from) {
      const first = (await db.raw('select min(position) as p from audit.records where topic = ? and partition = ? and kafka_timestamp >= ?', [t, partition, options.from])).rows[0].p;
      if (first === null) continue;
      fromPosition = BigInt(first);
    }
    const head = heads.find((h) => h.topic === t && h.partition === partition);
    results.push(
      await verifyChain(chainRows(db, t, partition, fromPosition ?? 0n), {
        topic: t,
        partition,
        ...(fromPosition === undefined ? {} : { fromPosition }),
        ...(head ? { head: { rows: BigInt(head.rows), lastHash: head.last_hash } } : {}),
        findByHash: async (hash) => {
          const row = (await db.raw('select position, kafka_offset from audit.records where topic = ? and partition = ? and hash = ? limit 1', [t, partition, hash])).rows[0];
          return row && { position: BigInt(row.position), offset: String(row.kafka_offset) };
        },
      }),
    );
  }
  return results;
};

export const describeProblem = (p: ChainProblem): string =>
  `${p.kind.toUpperCase()}: ${p.topic} partition ${p.partition}, position ${p.position}${p.offset === null ? '' : `, offset ${p.offset}`}${p.eventId ? `, event ${p.eventId}` : ''}: ${p.detail}`;
