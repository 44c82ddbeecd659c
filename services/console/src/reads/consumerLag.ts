import type { Knex } from 'knex';
import type { Kafka } from 'kafkajs';
import { activeSchema, analystRole, readSchema } from '@agentbus/read-models';

export const positionsView = 'consumer_positions';

/**
 * (Re)publishes `read.consumer_positions`: every service's stored positions (the projector's in the
 * live generation, the presence monitor's, the saga orchestrator's, the audit sink's chain heads)
 * for the analyst role, as the connection's own role. Returns the view's definition; given the one
 * published before, does nothing when it has not changed.
 */
export const publishPositionsView = async (db: Knex, published?: string): Promise<string> => {
  const live = await activeSchema(db).catch(() => undefined);
  const tables: { table_schema: string }[] = (await db.raw(`select table_schema from information_schema.tables where table_name = 'consumer_offsets' and table_schema not like 'read_models_g%' or (table_name = 'consumer_offsets' and table_schema = ?)`, [live?.schema ?? ''])).rows;
  const parts = tables.map((t) => `select consumer, topic, partition, next_offset, updated_at from ${quote(t.table_schema)}.consumer_offsets`);
  if ((await db.raw(`select to_regclass('audit.chain_heads') as t`)).rows[0].t) parts.push(`select 'audit-sink'::text, topic, partition, next_offset, updated_at from audit.chain_heads`);
  if (parts.length === 0) parts.push(`select null::text as consumer, null::text as topic, null::int as partition, null::bigint as next_offset, null::timestamptz as updated_at where false`);
  const definition = parts.join(' union all ');
  if (definition === published) return definition;
  await db.transaction(async (trx) => {
    await trx.raw(`create schema if not exists ${readSchema}`);
    await trx.raw(`drop view if exists ${readSchema}.${positionsView}`);
    await trx.raw(`create view ${readSchema}.${positionsView} (consumer, topic, partition, next_offset, updated_at) as ${definition}`);
    await trx.raw(`grant select on ${readSchema}.${positionsView} to ${analystRole}`);
  });
  return definition;
};

/**
 * Keeps `read.consumer_positions` up to date as services create their tables after the console
 * started, and as a rebuild swaps the live generation: looked at once per `everyMs` at most.
 */
export const positionsViewKeeper = (db: Knex, everyMs: number, now: () => number) => {
  let published: string | undefined;
  let checkedAt = -Infinity;
  return async (): Promise<void> => {
    if (now() - checkedAt < everyMs) return;
    checkedAt = now();
    published = await publishPositionsView(db, published);
  };
};

const quote = (identifier: string): string => `"${identifier.replace(/"/g, '""')}"`;

export interface ConsumerLag {
  consumer: string;
  lag: number;
  partitions: number;
}

/** Per consumer: how many records of its topics it has not stored yet (end offset − stored position). */
export const consumerLag = async (trx: Knex.Transaction, kafka: Kafka, topicPrefix: string): Promise<ConsumerLag[]> => {
  const exists = (await trx.raw(`select to_regclass(?) as t`, [`${readSchema}.${positionsView}`])).rows[0].t;
  if (!exists) return [];
  const positions: { consumer: string; topic: string; partition: number; next_offset: string }[] = (
    await trx.raw(`select consumer, topic, partition, next_offset from ${readSchema}.${positionsView} where topic like ?`, [`${topicPrefix.replace(/[\\%_]/g, (c) => `\\${c}`)}.%`])
  ).rows;
  const topics = [...new Set(positions.map((p) => p.topic))];
  const admin = kafka.admin();
  await admin.connect();
  try {
    const ends = new Map<string, bigint>();
    for (const topic of topics) for (const o of await admin.fetchTopicOffsets(topic).catch(() => [])) ends.set(`${topic}/${o.partition}`, BigInt(o.high));
    const byConsumer = new Map<string, ConsumerLag>();
    for (const p of positions) {
      const end = ends.get(`${p.topic}/${p.partition}`);
      if (end === undefined) continue;
      const c = byConsumer.get(p.consumer) ?? { consumer: p.consumer, lag: 0, partitions: 0 };
      const lag = end - BigInt(p.next_offset);
      c.lag += Number(lag > 0n ? lag : 0n);
      c.partitions += 1;
      byConsumer.set(p.consumer, c);
    }
    return [...byConsumer.values()].sort((a, b) => a.consumer.localeCompare(b.consumer));
  } finally {
    await admin.disconnect();
  }
};
