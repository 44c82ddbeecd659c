// Where each service stands against the topics' end offsets: the positions it stored in Postgres
// (the saga orchestrator's in its Kafka group, beside an outbox that must drain).
import type { Kafka } from 'kafkajs';
import type { Knex } from 'knex';
import { offsetKey, readOffsets } from '@agentbus/postgres-sink';
import { activeSchema } from '@agentbus/read-models';
import type { PartitionRange } from './checks';
import type { ChaosService } from './faultPlan';

export type Positions = ReadonlyMap<string, bigint>;

/** Records a consumer has yet to apply: per partition, the end offset minus its stored position (none stored: from the start). */
export const lagOf = (ranges: readonly PartitionRange[], topics: readonly string[], positions: Positions): number =>
  ranges
    .filter((r) => topics.includes(r.topic))
    .reduce((lag, r) => {
      const at = positions.get(offsetKey(r.topic, r.partition)) ?? r.low;
      return lag + Number(r.high > at ? r.high - at : 0n);
    }, 0);

export interface Lags {
  byService: Record<ChaosService, number>;
  outbox: number;
}

export const caughtUp = (lags: Lags): boolean => lags.outbox === 0 && Object.values(lags.byService).every((n) => n === 0);

export interface ServiceTopics {
  all: string[];
  projector: string[];
  sagaOrchestrator: string[];
  presenceMonitor: string[];
}

export const readLags = async (db: Knex, kafka: Kafka, ranges: readonly PartitionRange[], topics: ServiceTopics, prefix: string): Promise<Lags> => {
  const projector = await readOffsets(db, (await activeSchema(db)).schema, 'projector');
  const presence = await readOffsets(db, 'presence', 'presence-monitor').catch(() => new Map<string, bigint>());
  const heads: { topic: string; partition: number; next_offset: string }[] = (await db.raw('select topic, partition, next_offset from audit.chain_heads').catch(() => ({ rows: [] }))).rows;
  const audit = new Map(heads.map((h) => [offsetKey(h.topic, h.partition), BigInt(h.next_offset)]));
  const admin = kafka.admin();
  await admin.connect();
  const sagas = new Map<string, bigint>();
  try {
    for (const t of await admin.fetchOffsets({ groupId: `${prefix}.saga-orchestrator`, topics: topics.sagaOrchestrator })) {
      for (const p of t.partitions) if (p.offset !== '-1') sagas.set(offsetKey(t.topic, p.partition), BigInt(p.offset));
    }
  } finally {
    await admin.disconnect();
  }
  const outbox = Number((await db.raw(`select count(*)::int as n from saga_orchestrator.outbox where refused_reason is null`).catch(() => ({ rows: [{ n: 0 }] }))).rows[0].n);
  return {
    byService: {
      projector: lagOf(ranges, topics.projector, projector),
      'saga-orchestrator': lagOf(ranges, topics.sagaOrchestrator, sagas),
      'presence-monitor': lagOf(ranges, topics.presenceMonitor, presence),
      'audit-sink': lagOf(ranges, topics.all, audit),
    },
    outbox,
  };
};
