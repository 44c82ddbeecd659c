import { finished } from 'node:stream/promises';
import type { Knex } from 'knex';
import { emptyHead, type ChainedRecord, type ChainHead } from '@agentbus/audit';
import { copyFromStdin } from '@agentbus/postgres-sink';
import { auditColumns, encodeAuditRows } from './copyBinary';
import { auditSchema, auditWriterRole } from './migrations';

export interface StoredHead extends ChainHead {
  /** The next Kafka offset of the partition to store: the sink's consumer offset. */
  nextOffset: bigint;
}

const headsTable = `${auditSchema}.chain_heads`;

/** Every partition's head, keyed `topic/partition`. */
export const readHeads = async (db: Knex | Knex.Transaction): Promise<Map<string, StoredHead>> => {
  const rows: { topic: string; partition: number; next_offset: string; rows: string; last_hash: Buffer }[] = (await db.raw(`select topic, partition, next_offset, rows, last_hash from ${headsTable}`)).rows;
  return new Map(rows.map((r) => [`${r.topic}/${r.partition}`, { nextOffset: BigInt(r.next_offset), rows: BigInt(r.rows), lastHash: r.last_hash }]));
};

/**
 * Starts a batch's transaction as the writer role and locks the partition's head, so two sinks
 * that briefly both hold a partition (a rebalance) append one after the other, never in between.
 */
export const lockHead = async (trx: Knex.Transaction, topic: string, partition: number): Promise<StoredHead | undefined> => {
  await trx.raw(`set local role ${auditWriterRole}`);
  const row: { next_offset: string; rows: string; last_hash: Buffer } | undefined = (await trx.raw(`select next_offset, rows, last_hash from ${headsTable} where topic = ? and partition = ? for update`, [topic, partition])).rows[0];
  return row && { nextOffset: BigInt(row.next_offset), rows: BigInt(row.rows), lastHash: row.last_hash };
};

export const headOrEmpty = (head: StoredHead | undefined): ChainHead => head ?? emptyHead;

/**
 * The whole batch in one `COPY … FROM STDIN (format binary)` on the transaction's own connection,
 * so the rows are stored, or vanish, with the head and the offset. Postgres takes the raw bytes,
 * headers and payload as they are (see copyBinary.ts) instead of parsing a JSON document of the batch.
 */
export const insertChained = async (trx: Knex.Transaction, rows: readonly ChainedRecord[]): Promise<void> => {
  if (rows.length === 0) return;
  const data = encodeAuditRows(rows);
  const stream = await copyFromStdin(trx, copyStatement);
  stream.end(data);
  await finished(stream);
};

const copyStatement = `copy ${auditSchema}.records (${auditColumns.join(', ')}) from stdin with (format binary)`;

export const writeHead = async (trx: Knex.Transaction, topic: string, partition: number, head: ChainHead, nextOffset: bigint): Promise<void> => {
  await trx.raw(
    `insert into ${headsTable} (topic, partition, next_offset, rows, last_hash, updated_at) values (?, ?, ?, ?, ?, now())
     on conflict (topic, partition) do update set next_offset = excluded.next_offset, rows = excluded.rows, last_hash = excluded.last_hash, updated_at = excluded.updated_at`,
    [topic, partition, nextOffset.toString(), head.rows.toString(), head.lastHash],
  );
};

/** Moves a partition's next offset and nothing else; a partition without a head starts an empty chain. */
export const writeNextOffset = async (trx: Knex.Transaction, topic: string, partition: number, nextOffset: bigint): Promise<void> => {
  await trx.raw(
    `insert into ${headsTable} (topic, partition, next_offset, rows, last_hash, updated_at) values (?, ?, ?, ?, ?, now())
     on conflict (topic, partition) do update set next_offset = excluded.next_offset, updated_at = excluded.updated_at`,
    [topic, partition, nextOffset.toString(), emptyHead.rows.toString(), emptyHead.lastHash],
  );
};
