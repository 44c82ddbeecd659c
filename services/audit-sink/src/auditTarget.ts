import { chainRecords, toAuditRecord, type AuditRecord } from '@agentbus/audit';
import type { ConsumedRecord, ConsumerTarget, PositionStore } from '@agentbus/consumer';
import { auditSchema } from './migrations';
import { headOrEmpty, insertChained, lockHead, readHeads, writeHead, writeNextOffset } from './auditStore';

/**
 * The audit trail as the consumer engine sees it. Undecodable records arrive with their error
 * (the engine runs with `undecodable: 'keep'`) and are stored raw with it, so the trail holds
 * every record of every partition, in offset order, each hashed onto the one before.
 */
export const auditTarget = (): ConsumerTarget => ({
  schema: async () => auditSchema,
  apply: async (trx, _schema, records) => {
    const { topic, partition } = records[0]!;
    // The engine locked this head already (chainHeads.lock); read again, because when the engine
    // isolates a refused record each record is applied alone and moves the head.
    const head = await lockHead(trx, topic, partition);
    const chained = chainRecords(headOrEmpty(head), records.map(toAudit));
    await insertChained(trx, chained.rows);
    await writeHead(trx, topic, partition, chained.head, BigInt(records.at(-1)!.offset) + 1n);
    return [];
  },
});

/**
 * Positions are the chain heads: the next offset of each partition lives in the row that also
 * holds the partition's last hash, written in the batch's transaction. A head ahead of the
 * partition's end is kept (the engine skips up to it): storing an offset twice would fork the chain.
 */
export const chainHeads: PositionStore = {
  prepare: async () => undefined,
  read: async (db) => new Map([...(await readHeads(db))].map(([key, head]) => [key, head.nextOffset])),
  lock: async (trx, _schema, topic, partition) => (await lockHead(trx, topic, partition))?.nextOffset,
  // After apply has written the head, this writes the same offset; alone (a correction after
  // retention removed records) it moves the offset and keeps the hash, so the chain continues.
  write: async (trx, _schema, positions) => {
    for (const p of positions) await writeNextOffset(trx, p.topic, p.partition, p.nextOffset);
  },
  beyondEnd: 'wait',
};

const toAudit = (r: ConsumedRecord): AuditRecord => {
  const { key, value, headers, timestamp } = r.message;
  return toAuditRecord(
    { topic: r.topic, partition: r.partition, offset: r.offset, timestamp, key, value, headers },
    r.decodeError !== undefined ? { error: r.decodeError } : { event: r.event!, schemaId: r.schemaId! },
  );
};
