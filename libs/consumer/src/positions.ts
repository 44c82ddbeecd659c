import type { Knex } from 'knex';
import { createOffsetsTable, offsetKey, readOffsets, writeOffsets } from '@agentbus/postgres-sink';

export interface Position {
  topic: string;
  partition: number;
  nextOffset: bigint;
}

/**
 * Where a consumer resumes, kept in Postgres beside the rows it covers and written in the same
 * transaction, so rows and positions never disagree. Kafka's committed offsets are only advisory.
 */
export interface PositionStore {
  /** Creates what the store needs in `schema`; run before every positioning. */
  prepare(db: Knex, schema: string): Promise<void>;
  /** Every stored next offset, keyed `topic/partition`. */
  read(db: Knex, schema: string): Promise<Map<string, bigint>>;
  /** In a batch's transaction: the partition's next offset, locked until the transaction ends. */
  lock(trx: Knex.Transaction, schema: string, topic: string, partition: number): Promise<bigint | undefined>;
  /** `lock` for several partitions in one round trip, keyed `topic/partition`; without it they are locked one by one. */
  lockAll?(trx: Knex.Transaction, schema: string, partitions: readonly { topic: string; partition: number }[]): Promise<Map<string, bigint>>;
  write(trx: Knex.Transaction, schema: string, positions: Position[]): Promise<void>;
  /**
   * A stored position beyond the partition's end (the topic was recreated): `read-from-start`
   * (default) rewrites it to the start, since event ids deduplicate; `wait` keeps it and skips
   * records until the partition reaches it, for a store that must never take an offset twice
   * (the audit trail's hash chain).
   */
  beyondEnd?: 'read-from-start' | 'wait';
}

/** The `consumer_offsets` table, one row per consumer name and partition. */
export const postgresOffsets = (consumer: string): PositionStore => ({
  prepare: (db, schema) => createOffsetsTable(db, schema),
  read: (db, schema) => readOffsets(db, schema, consumer),
  lock: async (trx, schema, topic, partition) => (await readOffsets(trx, schema, consumer, { lock: true, only: { topic, partition } })).get(offsetKey(topic, partition)),
  lockAll: (trx, schema, partitions) => readOffsets(trx, schema, consumer, { lock: true, only: partitions }),
  write: (trx, schema, positions) => writeOffsets(trx, schema, consumer, positions),
});
