import type { Knex } from 'knex';
import { assertIdentifier } from './database';

export const offsetsTable = 'consumer_offsets';

/** Where each consumer is, per partition: the next offset to apply. Lives beside the rows it covers. */
export const createOffsetsTable = async (knex: Knex, schema: string): Promise<void> => {
  assertIdentifier(schema);
  await knex.raw('create schema if not exists ??', [schema]);
  if (await knex.schema.withSchema(schema).hasTable(offsetsTable)) return;
  await knex.schema.withSchema(schema).createTable(offsetsTable, (t) => {
    t.text('consumer').notNullable();
    t.text('topic').notNullable();
    t.integer('partition').notNullable();
    t.bigInteger('next_offset').notNullable();
    t.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now());
    t.primary(['consumer', 'topic', 'partition']);
  });
};

export type StoredOffsets = Map<string, bigint>;
export const offsetKey = (topic: string, partition: number): string => `${topic}/${partition}`;

export interface ReadOffsetsOptions {
  /** Lock the rows read (FOR UPDATE) until the transaction ends. */
  lock?: boolean;
  /** Only these partitions' rows: a batch locks its own partitions, so other batches apply in parallel. */
  only?: { topic: string; partition: number } | readonly { topic: string; partition: number }[];
}

export const readOffsets = async (db: Knex | Knex.Transaction, schema: string, consumer: string, options: ReadOffsetsOptions = {}): Promise<StoredOffsets> => {
  const only = options.only === undefined ? undefined : 'topic' in options.only ? [options.only] : options.only;
  let query = db.withSchema(schema).from(offsetsTable).select('topic', 'partition', 'next_offset').where({ consumer });
  if (only?.length === 1) query = query.where({ topic: only[0]!.topic, partition: only[0]!.partition });
  else if (only) query = query.whereIn(['topic', 'partition'], only.map((o) => [o.topic, o.partition]));
  // Always in one order, so two transactions locking overlapping partitions never deadlock.
  if (options.lock) query = query.orderBy(['topic', 'partition']).forUpdate();
  const rows: { topic: string; partition: number; next_offset: string }[] = await query;
  return new Map(rows.map((r) => [offsetKey(r.topic, r.partition), BigInt(r.next_offset)]));
};

export const writeOffsets = async (trx: Knex.Transaction, schema: string, consumer: string, offsets: { topic: string; partition: number; nextOffset: bigint }[]): Promise<void> => {
  if (offsets.length === 0) return;
  await trx
    .withSchema(schema)
    .table(offsetsTable)
    .insert(offsets.map((o) => ({ consumer, topic: o.topic, partition: o.partition, next_offset: o.nextOffset.toString(), updated_at: trx.fn.now() })))
    .onConflict(['consumer', 'topic', 'partition'])
    .merge(['next_offset', 'updated_at']);
};
