// What the chaos checks compare, read once the run has caught up: Kafka's own records (the truth),
// and what the four services stored in Postgres.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import type { Knex } from 'knex';
import type { AvroEventCodec } from '@agentbus/codec';
import type { AgentEvent } from '@agentbus/events';
import type { Logger } from '@agentbus/logger';
import { allProjections, type InMemoryTables } from '@agentbus/projections';
import { activeSchema, dropGeneration, rebuildReadModels } from '@agentbus/read-models';
import { readTables } from '@agentbus/testing';
import type { ChainVerificationSummary, PartitionRange, StoredPartition } from './checks';

export interface KafkaRecord {
  topic: string;
  partition: number;
  offset: string;
  event?: AgentEvent;
  decodeError?: string;
}

export const endOffsets = async (kafka: Kafka, topics: readonly string[]): Promise<PartitionRange[]> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out: PartitionRange[] = [];
    for (const topic of topics) for (const o of await admin.fetchTopicOffsets(topic)) out.push({ topic, partition: o.partition, low: BigInt(o.low), high: BigInt(o.high) });
    return out.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  } finally {
    await admin.disconnect();
  }
};

/** Every record of the topics up to the given ends, decoded; a group of its own, read from the start. */
export const readAllRecords = async (kafka: Kafka, codec: AvroEventCodec, ranges: readonly PartitionRange[], decode: (topic: string) => boolean, deadlineMs = 300_000): Promise<KafkaRecord[]> => {
  const records: KafkaRecord[] = [];
  const remaining = new Map(ranges.filter((r) => r.high > r.low).map((r) => [`${r.topic}/${r.partition}`, r.high]));
  if (remaining.size === 0) return records;
  const consumer = kafka.consumer({ groupId: `agentbus-chaos-reader-${Date.now()}`, maxWaitTimeInMs: 250 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...new Set(ranges.map((r) => r.topic))], fromBeginning: true });
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const key = `${batch.topic}/${batch.partition}`;
        const end = remaining.get(key);
        for (const m of batch.messages) {
          if (end === undefined || BigInt(m.offset) >= end) break;
          const record: KafkaRecord = { topic: batch.topic, partition: batch.partition, offset: m.offset };
          if (decode(batch.topic)) {
            try {
              record.event = (await codec.decode(m.value)).event;
            } catch (error) {
              record.decodeError = (error as Error).message;
            }
          }
          records.push(record);
          if (BigInt(m.offset) + 1n >= end) remaining.delete(key);
        }
        if (remaining.size === 0) done();
      },
    });
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`reading the topics back took over ${deadlineMs / 1000} s; ${remaining.size} partitions unread`)), deadlineMs).unref());
    await Promise.race([finished, timeout]);
  } finally {
    await consumer.disconnect();
  }
  return records;
};

export const storedEventIds = async (db: Knex): Promise<string[]> => {
  const { schema } = await activeSchema(db);
  return (await db.withSchema(schema).from('events').select('event_id')).map((r: { event_id: string }) => r.event_id);
};

export const liveReadModels = async (db: Knex): Promise<InMemoryTables> => readTables(db, (await activeSchema(db)).schema, allProjections);

/**
 * The read models as `agentbus replay --to <now>` builds them: a clean replay of the same topics
 * into a shadow generation that is never swapped in, read, then dropped.
 */
export const replayedReadModels = async (options: { db: Knex; kafka: Kafka; codec: AvroEventCodec; topics: string[]; deadLetterTopic: string; databaseUrl: string; logger: Logger }): Promise<InMemoryTables> => {
  const rebuilt = await rebuildReadModels({ ...options, consumer: 'projector', projections: allProjections, to: new Date() });
  try {
    return await readTables(options.db, rebuilt.schema, allProjections);
  } finally {
    await dropGeneration(options.db, rebuilt.schema);
  }
};

export const sagaStatuses = async (db: Knex): Promise<{ status: Map<string, string>; readStatus: Map<string, string> }> => {
  const own: { saga_id: string; status: string }[] = await db.withSchema('saga_orchestrator').from('sagas').select('saga_id', 'status');
  const read: { saga_id: string; status: string }[] = await db.withSchema('read').from('sagas').select('saga_id', 'status');
  return { status: new Map(own.map((r) => [r.saga_id, r.status])), readStatus: new Map(read.map((r) => [r.saga_id, r.status])) };
};

export const orderJournal = async (db: Knex): Promise<{ eventId: string; orderId: string; op: string }[]> =>
  (await db.from('order_agent_journal').select('event_id', 'order_id', 'op')).map((r: { event_id: string; order_id: string; op: string }) => ({ eventId: r.event_id, orderId: r.order_id, op: r.op }));

export const auditPartitions = async (db: Knex): Promise<StoredPartition[]> => {
  const rows: { topic: string; partition: number; rows: number; distinct_offsets: number; min_offset: string | null; max_offset: string | null }[] = (
    await db.raw(
      `select topic, partition, count(*)::int as rows, count(distinct kafka_offset)::int as distinct_offsets, min(kafka_offset) as min_offset, max(kafka_offset) as max_offset
         from audit.records group by topic, partition`,
    )
  ).rows;
  return rows.map((r) => ({
    topic: r.topic,
    partition: r.partition,
    rows: r.rows,
    distinctOffsets: r.distinct_offsets,
    minOffset: r.min_offset === null ? null : BigInt(r.min_offset),
    maxOffset: r.max_offset === null ? null : BigInt(r.max_offset),
  }));
};

const cli = join(__dirname, '..', '..', 'services', 'cli', 'bin', 'agentbus.js');

/** `agentbus audit verify --json`, as an operator would run it against this run's database. */
export const verifyAuditChains = (env: NodeJS.ProcessEnv): Promise<ChainVerificationSummary> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'audit', 'verify', '--json'], { env: { ...process.env, ...env, LOG_LEVEL: 'error' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', () => {
      try {
        const parsed = JSON.parse(out) as { verified: number; partitions: number; problems: { kind: string; topic: string; partition: number; position: string; detail: string }[] };
        resolve({ partitions: parsed.partitions, verified: parsed.verified, problems: parsed.problems.map((p) => `${p.kind} ${p.topic}/${p.partition} position ${p.position}: ${p.detail}`) });
      } catch {
        reject(new Error(`agentbus audit verify printed no JSON: ${(out + err).slice(-1000)}`));
      }
    });
  });
