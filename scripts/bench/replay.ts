import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asSigner, entityKey, Headers, newTraceparent, PartitionSigner } from '@agentbus/bus';
import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { createEvent, deadLetterTopicSuffix, topicName } from '@agentbus/events';
import { createKafka } from '@agentbus/kafka';
import type { SigningKey } from '@agentbus/identity';
import type { Logger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { allProjections } from '@agentbus/projections';
import { ensureLiveReadModels, rebuildReadModels, type RebuildOptions } from '@agentbus/read-models';
import { createTestDatabase, mixedWorkload } from '@agentbus/testing';
import type { Knex } from 'knex';
import type { Message, TopicMessages } from 'kafkajs';
import { consumeRaw } from './consume';
import { cpuMicros, nowMs } from './stats';
import { benchWorld, config, type BenchWorld } from './world';

export interface ReplayResult {
  events: number;
  eventsByTopic: Record<string, number>;
  prefillSeconds: number;
  encodeSeconds: number;
  rebuild: { seconds: number; eventsPerSec: number; cpuUsPerEvent: number; reported: number; schema: string; generation: number; batches: { count: number; meanEvents: number; meanMs: number; firstAtMs: number; lastAtMs: number } };
  raw: { seconds: number; eventsPerSec: number; startupSeconds: number };
  copy: { seconds: number; rows: number; rowsPerSec: number; tables: Record<string, { rows: number; seconds: number }>; method: string };
}

/** Tables the rebuild fills: the event store plus every projection table. */
const readTables = ['events', ...allProjections.flatMap((p) => p.tables.map((t) => t.name))];

/**
 * Fills the topics with `events` distinct events: the mixed workload of the integration tests
 * (every kind the read models project), repeated with distinct run names so ids, tasks and agents
 * never repeat. Encoded with the codec in chunks (the bus's bytes, headers and keys) and produced
 * with raw kafkajs sendBatch in large batches. With a key, every event is signed by it (source =
 * its DID), as a signing bus's publishMany signs (PartitionSigner: v4, a group per partition).
 */
export const prefill = async (prefix: string, subjects: Set<string>, events: number, say: (line: string) => void, signingKey?: SigningKey) => {
  const codec = new AvroEventCodec({ registry: createRegistryClient(config.registry), catalog: loadSchemaCatalog(), topicPrefix: prefix });
  for (const { subject } of await codec.registerSchemas()) subjects.add(subject);
  const kafka = createKafka({ ...config.kafka, clientId: `${config.kafka.clientId}-bench-prefill` });
  const signer = signingKey && new PartitionSigner(kafka, signingKey);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false, ...(signer ? { createPartitioner: signer.partitioner } : {}) });
  await producer.connect();
  const byTopic: Record<string, number> = {};
  let encodeMs = 0;
  const started = nowMs();
  try {
    let produced = 0;
    for (let run = 0; produced < events; run++) {
      const inputs = mixedWorkload({ tasks: 1500, agents: 5, seed: 7 + run, run: `r${run}` }).slice(0, events - produced);
      const t = nowMs();
      const grouped = new Map<string, Message[]>();
      const traceparent = newTraceparent();
      for (const input of inputs) {
        const event = asSigner(createEvent(input), signingKey);
        const encoded = await codec.encode(event);
        const list = grouped.get(encoded.topic) ?? [];
        list.push({ key: entityKey(event), value: encoded.value, headers: { [Headers.routingKey]: event.routingKey, [Headers.traceparent]: traceparent }, timestamp: String(event.timestamp) });
        grouped.set(encoded.topic, list);
      }
      const topicMessages: TopicMessages[] = [...grouped].map(([topic, messages]) => ({ topic, messages }));
      await signer?.sign(topicMessages);
      encodeMs += nowMs() - t;
      await producer.sendBatch({ acks: -1, topicMessages });
      for (const { topic, messages } of topicMessages) byTopic[topic] = (byTopic[topic] ?? 0) + messages.length;
      produced += inputs.length;
      if (run % 40 === 39) say(`  pre-filled ${produced.toLocaleString('en-US')} events`);
    }
  } finally {
    await producer.disconnect();
    await signer?.close();
  }
  return { codec, byTopic, prefillSeconds: (nowMs() - started) / 1000, encodeSeconds: encodeMs / 1000 };
};

/**
 * The Postgres COPY limit for the rows the rebuild wrote: every table of the rebuilt generation is
 * exported to a CSV file (server-side COPY TO), then loaded with `COPY … FROM '<file>'` into an
 * empty table of the same shape (`LIKE`, so no indexes or constraints); only the loads are timed.
 * Postgres runs on this machine, so the server reads the file directly (pg-copy-streams is not
 * installed). Rows/s is the total rows over the total load time.
 */
const copyLimit = async (databaseUrl: string, schema: string) => {
  const db = createDatabase({ url: databaseUrl, poolMax: 1, applicationName: 'agentbus-bench-copy' });
  const dir = mkdtempSync(join(tmpdir(), 'agentbus-bench-copy-'));
  chmodSync(dir, 0o777);
  const tables: Record<string, { rows: number; seconds: number }> = {};
  try {
    await db.raw('create schema bench_copy');
    for (const table of readTables) {
      const file = join(dir, `${table}.csv`);
      await db.raw(`copy ${schema}.${table} to '${file}' with (format csv)`);
      await db.raw(`create table bench_copy.${table} (like ${schema}.${table})`);
      const t = nowMs();
      const result = await db.raw(`copy bench_copy.${table} from '${file}' with (format csv)`);
      tables[table] = { rows: Number(result.rowCount), seconds: (nowMs() - t) / 1000 };
      rmSync(file, { force: true });
    }
  } finally {
    await db.raw('drop schema if exists bench_copy cascade').catch(() => undefined);
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
  const rows = Object.values(tables).reduce((n, t) => n + t.rows, 0);
  const seconds = Object.values(tables).reduce((n, t) => n + t.seconds, 0);
  return { rows, seconds, rowsPerSec: rows / seconds, tables, method: "server-side COPY … FROM '<csv file>' (format csv) into LIKE-copies without indexes; CSV exported with COPY … TO" };
};

/** rebuildReadModels as the bench runs it: every projection from the beginning of the bench world's topics. */
export const rebuildBenchTopics = (
  world: BenchWorld,
  database: { url: string },
  db: Knex,
  codec: AvroEventCodec,
  log: Logger,
  extra: Pick<RebuildOptions, 'onBatch' | 'identity'> = {},
) =>
  rebuildReadModels({
    ...extra,
    db,
    kafka: createKafka({ ...config.kafka, clientId: `${config.kafka.clientId}-bench-rebuild` }, log.child({ component: 'kafka' })),
    codec,
    topics: world.topics.topics.filter((t) => t !== topicName(world.prefix, deadLetterTopicSuffix)),
    consumer: 'projector',
    projections: allProjections,
    deadLetterTopic: topicName(world.prefix, deadLetterTopicSuffix),
    logger: log,
    databaseUrl: database.url,
  });

/** replay.rebuild, replay.raw-consume and replay.postgres-copy over one set of pre-filled topics. */
/** `around` wraps the rebuild alone (the profiler starts and stops sampling there). */
export const replayBenchmark = async (events: number, log: Logger, say: (line: string) => void, around: <T>(work: () => Promise<T>) => Promise<T> = (work) => work()): Promise<ReplayResult> => {
  const world = await benchWorld('replay', log);
  const database = await createTestDatabase('bench_replay', config.databaseUrl);
  const db = createDatabase({ url: database.url, poolMax: 4, applicationName: 'agentbus-bench-replay' });
  try {
    say(`  topics ${world.prefix}.*, database ${database.name}`);
    const filled = await prefill(world.prefix, world.subjects, events, say);
    say(`  pre-filled ${events.toLocaleString('en-US')} events in ${filled.prefillSeconds.toFixed(1)} s (encode ${filled.encodeSeconds.toFixed(1)} s)`);
    const topics = world.topics.topics.filter((t) => t !== topicName(world.prefix, deadLetterTopicSuffix));

    await ensureLiveReadModels(db);
    const batches: { fetched: number; durationMs: number; at: number }[] = [];
    const t = nowMs();
    const cpu = cpuMicros();
    const rebuilt = await around(() => rebuildBenchTopics(world, database, db, filled.codec, log, { onBatch: (b) => batches.push({ fetched: b.fetched, durationMs: b.durationMs, at: nowMs() - t }) }));
    const rebuildSeconds = (nowMs() - t) / 1000;
    const cpuUsPerEvent = (cpuMicros() - cpu) / events;
    const batchStats = { firstAtMs: Math.round(batches[0]?.at ?? 0), lastAtMs: Math.round(batches.at(-1)?.at ?? 0), count: batches.length, meanEvents: events / Math.max(1, batches.length), meanMs: batches.reduce((n, b) => n + b.durationMs, 0) / Math.max(1, batches.length) };
    say(`  rebuild: ${rebuilt.events.toLocaleString('en-US')} events in ${rebuildSeconds.toFixed(1)} s = ${Math.round(events / rebuildSeconds).toLocaleString('en-US')} events/s, ${cpuUsPerEvent.toFixed(1)} µs node CPU per event (swapped to ${rebuilt.schema}); ${batchStats.count} batches, ${batchStats.meanEvents.toFixed(0)} events and ${batchStats.meanMs.toFixed(1)} ms each on average; first batch done at ${batchStats.firstAtMs} ms, last at ${batchStats.lastAtMs} ms`);
    if (rebuilt.events !== events) throw new Error(`the rebuild reports ${rebuilt.events} events, ${events} were produced`);

    const raw = await consumeRaw(topics, undefined, events, 600_000);
    say(`  raw kafkajs consume: ${Math.round(raw.eventsPerSec).toLocaleString('en-US')} events/s (${raw.seconds.toFixed(1)} s)`);
    const copy = await copyLimit(database.url, rebuilt.schema);
    say(`  postgres COPY: ${copy.rows.toLocaleString('en-US')} rows in ${copy.seconds.toFixed(1)} s = ${Math.round(copy.rowsPerSec).toLocaleString('en-US')} rows/s`);
    return {
      events,
      eventsByTopic: Object.fromEntries(Object.entries(filled.byTopic).map(([topic, n]) => [topic.slice(world.prefix.length + 1), n])),
      prefillSeconds: filled.prefillSeconds,
      encodeSeconds: filled.encodeSeconds,
      rebuild: { seconds: rebuildSeconds, eventsPerSec: events / rebuildSeconds, cpuUsPerEvent, reported: rebuilt.events, schema: rebuilt.schema, generation: rebuilt.generation, batches: batchStats },
      raw,
      copy,
    };
  } finally {
    await db.destroy();
    await database.drop().catch((e: Error) => say(`  could not drop ${database.name}: ${e.message}`));
    await world.cleanup();
  }
};
