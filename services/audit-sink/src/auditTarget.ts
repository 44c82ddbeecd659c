import { chainRecords, toAuditRecord, type AuditRecord } from '@agentbus/audit';
import type { ConsumedRecord, ConsumerTarget, PositionStore } from '@agentbus/consumer';
import { auditSchema } from './migrations';
import type { Knex } from 'knex';
import { headOrEmpty, insertChained, lockHead, readHeads, writeHead, writeNextOffset, type StoredHead } from './auditStore';

/**
 * The head each batch's transaction has locked, and whether apply has written it: a batch then
 * needs one read of its head and one write, not two of each (the engine's and the target's).
 */
const lockedHeads = new WeakMap<Knex.Transaction, { topic: string; partition: number; head: StoredHead | undefined; written: boolean }>();

/**
 * The audit trail as the consumer engine sees it. Undecodable records arrive with their error
 * (the engine runs with `undecodable: 'keep'`) and are stored raw with it, so the trail holds
 * every record of every partition, in offset order, each hashed onto the one before.
 */
export const auditTarget = (): ConsumerTarget => ({
  schema: async () => auditSchema,
  apply: async (trx, _schema, records) => {
    const { topic, partition } = records[0]!;
    // The engine locked this head in this transaction (chainHeads.lock). When it isolates a
    // refused record, each record is applied alone in a savepoint (another transaction object)
    // and moves the head, so there the head is read again.
    const locked = lockedHeads.get(trx);
    const head = locked?.topic === topic && locked.partition === partition ? locked.head : await lockHead(trx, topic, partition);
    const chained = chainRecords(headOrEmpty(head), records.map(toAudit));
    const nextOffset = BigInt(records.at(-1)!.offset) + 1n;
    await insertChained(trx, chained.rows);
    await writeHead(trx, topic, partition, chained.head, nextOffset);
    lockedHeads.set(trx, { topic, partition, head: { ...chained.head, nextOffset }, written: true });
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
  lock: async (trx, _schema, topic, partition) => {
    const head = await lockHead(trx, topic, partition);
    lockedHeads.set(trx, { topic, partition, head, written: false });
    return head?.nextOffset;
  },
  // After apply has written the head in this transaction, the offset is there already; alone (a
  // correction after retention removed records) this moves the offset and keeps the hash, so the
  // chain continues.
  write: async (trx, _schema, positions) => {
    const locked = lockedHeads.get(trx);
    for (const p of positions) {
      if (locked?.written && locked.topic === p.topic && locked.partition === p.partition && locked.head?.nextOffset === p.nextOffset) continue;
      await writeNextOffset(trx, p.topic, p.partition, p.nextOffset);
    }
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
