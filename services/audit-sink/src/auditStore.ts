import type { Knex } from 'knex';
import { emptyHead, type ChainedRecord, type ChainHead } from '@agentbus/audit';
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
 * One statement for the whole batch: the rows travel as one JSON parameter that Postgres unpacks
 * with json_to_recordset. Each row is the canonical record that was hashed (already JSON, with
 * payload and headers as canonical JSON), plus its position and hashes: nothing is serialised twice.
 */
export const insertChained = async (trx: Knex.Transaction, topic: string, partition: number, rows: readonly ChainedRecord[]): Promise<void> => {
  if (rows.length === 0) return;
  let batch = '[';
  for (let i = 0; i < rows.length; i++) {
    const { canonical, position, prevHash, hash } = rows[i]!;
    batch += `${i === 0 ? '' : ','}${canonical.slice(0, -1)},"p":"${position}","ph":"${prevHash.toString('base64')}","hh":"${hash.toString('base64')}"}`;
  }
  batch += ']';
  const ms = (column: string) => `case when ${column} is null then null else timestamptz 'epoch' + ${column} * interval '1 millisecond' end`;
  await trx.raw(
    `insert into ${auditSchema}.records (topic, partition, kafka_offset, position, kafka_timestamp, record_key, raw, headers, event_id, type, routing_key, source, occurred_at, correlation_id, causation_id, schema_id, schema_version, payload, decode_error, prev_hash, hash)
     select ?, ?, r.o, r.p, ${ms('r.kt')}, decode(r.k, 'base64'), decode(r.v, 'base64'), r.h, r.id, r.ty, r.rk, r.src, ${ms('r.ot')}, r.cid, r.caid, r.sid, r.sv, r.pl, r.de, decode(r.ph, 'base64'), decode(r.hh, 'base64')
     from json_to_recordset(?::json) as r(o bigint, p bigint, kt bigint, k text, v text, h jsonb, id text, ty text, rk text, src text, ot bigint, cid text, caid text, sid int, sv text, pl jsonb, de text, ph text, hh text)`,
    [topic, partition, batch],
  );
};

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
