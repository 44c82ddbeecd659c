import type { Knex } from 'knex';
import { createKafkaEventBus, DeadLetterQueue, type KafkaEventBus } from '@agentbus/bus';
import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { deadLetterTopicSuffix, topicName, type AgentEvent } from '@agentbus/events';
import { createDatabase } from '@agentbus/postgres-sink';
import { allProjections, replay, taskProjection } from '@agentbus/projections';
import { captureLogger, createTestDatabase, createTestTopics, integrationConfig, mixedWorkload, readTables, type TestDatabase, type TestTopics } from '@agentbus/testing';
import { ensureLiveReadModels, rebuildProjection, rebuildReadModels, type RebuildOptions } from './index';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The bulk phase against the transactional path it replaces, over the same records: equal tables,
 * event store and offsets, duplicates applied once (the first copy), an undecodable record
 * dead-lettered with its reason, `to` honoured, and the fallback past the row limit.
 */
describe('rebuildReadModels: bulk phase (real Kafka, registry and Postgres)', () => {
  const config = integrationConfig();
  let topics: TestTopics;
  let database: TestDatabase;
  let db: Knex;
  let bus: KafkaEventBus;
  let codec: AvroEventCodec;
  let asOf: Date;
  let garbage: { partition: number; offset: string };
  const before: AgentEvent[] = [];
  const after: AgentEvent[] = [];
  const { logger, lines: logLines } = captureLogger('bulk-rebuild-test');
  const dlq = () => topicName(topics.prefix, deadLetterTopicSuffix);

  const rebuild = (options: Partial<RebuildOptions> = {}) =>
    rebuildReadModels({
      db,
      kafka: topics.kafka,
      codec,
      topics: topics.topics.filter((t) => t !== dlq()),
      consumer: 'projector',
      projections: allProjections,
      deadLetterTopic: dlq(),
      logger,
      databaseUrl: database.url,
      ...options,
    });

  /** Everything a rebuild writes, but the time each event row was recorded. */
  const contents = async (schema: string) => ({
    tables: await readTables(db, schema, allProjections),
    events: (
      await db.raw(
        `select event_id, type, routing_key, source, occurred_at, entity_key, correlation_id, causation_id, schema_version, payload, topic, partition, kafka_offset, schema_id from ??.events order by event_id`,
        [schema],
      )
    ).rows,
    offsets: (await db.raw('select consumer, topic, partition, next_offset from ??.consumer_offsets order by topic, partition', [schema])).rows,
  });

  const deadLettersOfGarbage = async () =>
    new DeadLetterQueue(topics.kafka, dlq(), codec).list({ where: (d) => d.sourceTopic === topicName(topics.prefix, 'task') && d.sourcePartition === garbage.partition && d.sourceOffset === garbage.offset });

  beforeAll(async () => {
    topics = await createTestTopics('bulkrebuild', config);
    database = await createTestDatabase('bulk_rebuild', config.databaseUrl);
    db = createDatabase({ url: database.url, poolMax: 4 });
    codec = new AvroEventCodec({ registry: createRegistryClient(config.registry), catalog: loadSchemaCatalog(), topicPrefix: topics.prefix });
    bus = createKafkaEventBus({ connection: { ...config, topicPrefix: topics.prefix }, service: 'workload', logger });
    await bus.registerSchemas();
    await ensureLiveReadModels(db);

    const workload = mixedWorkload({ tasks: 150, run: 'early', seed: 4 });
    for (let i = 0; i < workload.length; i += 100) before.push(...(await bus.publishMany(workload.slice(i, i + 100))));
    // The same event id twice, the copies differing: the first one counts, as in the event store.
    const first = await bus.publish({ type: 'task.created', source: 'planner', payload: { taskId: 'dup-task', description: 'first copy', priority: 'normal' } });
    before.push(first);
    await bus.publish({ ...first, payload: { ...(first.payload as Record<string, unknown>), description: 'second copy' } } as AgentEvent);
    const producer = topics.kafka.producer();
    await producer.connect();
    const [sent] = await producer.send({ topic: topicName(topics.prefix, 'task'), acks: -1, messages: [{ key: 'dup-task', value: Buffer.from('not an avro record') }] });
    await producer.disconnect();
    garbage = { partition: sent!.partition, offset: sent!.baseOffset! };

    await sleep(50);
    asOf = new Date();
    await sleep(50);
    // After `asOf`: changes to rows that exist before it, and new ones.
    after.push(await bus.publish({ type: 'task.failed', source: 'agent', payload: { taskId: 'dup-task', agentId: 'late-agent', error: 'late', retriable: false, attempt: 1 } }));
    const more = mixedWorkload({ tasks: 40, run: 'late', seed: 8 });
    for (let i = 0; i < more.length; i += 100) after.push(...(await bus.publishMany(more.slice(i, i + 100))));
  });

  afterAll(async () => {
    await bus?.close();
    await db?.destroy();
    await topics?.cleanup();
    await database?.drop();
  });

  it('as of a time: the same tables, events and offsets as the transactional path, the first copy of a duplicate, the undecodable record dead-lettered', async () => {
    const transactional = await rebuild({ to: asOf, bulk: false });
    const expected = await contents(transactional.schema);
    expect(await deadLettersOfGarbage()).toHaveLength(1);

    // Small fetches: each partition takes many, as at scale.
    const bulk = await rebuild({ to: asOf, bulk: { maxBytesPerPartition: 8192 } });
    expect(bulk).toMatchObject({ swapped: false, events: transactional.events });
    const actual = await contents(bulk.schema);
    expect(actual).toEqual(expected);
    expect(actual.tables).toEqual(replay(allProjections, before));
    expect(actual.events).toHaveLength(before.length);
    expect(actual.tables['tasks']?.[JSON.stringify([['task_id', 'dup-task']])]).toMatchObject({ description: 'first copy', status: 'created' });
    expect(logLines.some((l) => l.msg === 'bulk phase loaded')).toBe(true);

    const dead = await deadLettersOfGarbage();
    expect(dead).toHaveLength(2);
    expect(dead[1]).toMatchObject({ service: 'projector', code: expect.any(String), reason: expect.stringMatching(/.+/) });
    expect(dead[1]!.value?.toString()).toBe('not an avro record');
  });

  it('everything, then live: the same as the transactional path', async () => {
    const transactional = await rebuild({ bulk: false });
    expect(transactional.swapped).toBe(true);
    const expected = await contents(transactional.schema);
    expect(expected.tables).toEqual(replay(allProjections, [...before, ...after]));

    const bulk = await rebuild({ bulk: { maxBytesPerPartition: 8192 } });
    expect(bulk).toMatchObject({ swapped: true, retired: transactional.schema, events: transactional.events });
    expect(await contents(bulk.schema)).toEqual(expected);
    // The rebuild deferred secondary indexes to the end of the bulk phase: every one is back.
    const indexes = async (schema: string) => (await db.raw('select indexname from pg_indexes where schemaname = ? order by 1', [schema])).rows.map((r: { indexname: string }) => r.indexname);
    expect(await indexes(bulk.schema)).toEqual(await indexes(transactional.schema));
  });

  it('one projection as of a time: the same table and events as the transactional path', async () => {
    const common = { db, kafka: topics.kafka, codec, topics: topics.topics.filter((t) => t !== dlq()), consumer: 'projector', projection: taskProjection, deadLetterTopic: dlq(), logger, databaseUrl: database.url, to: asOf };
    const projected = async (schema: string) => ({
      tables: await readTables(db, schema, [taskProjection]),
      events: (await db.raw('select event_id, payload, topic, partition, kafka_offset from ??.events order by event_id', [schema])).rows,
    });
    const expected = await projected((await rebuildProjection({ ...common, bulk: false })).schema);
    expect(expected.tables).toEqual(replay([taskProjection], before));
    logLines.length = 0;
    const bulk = await rebuildProjection({ ...common, bulk: { maxBytesPerPartition: 8192 } });
    expect(bulk.swapped).toBe(false);
    expect(logLines.filter((l) => l.msg === 'bulk phase loaded')).toHaveLength(1);
    expect(await projected(bulk.schema)).toEqual(expected);
  });

  it('past its row limit, writes what it holds and continues batch by batch to the same result', async () => {
    const expected = await contents((await rebuild({ bulk: false })).schema);
    logLines.length = 0;
    const batches: number[] = [];
    const limited = await rebuild({ bulk: { maxRows: 50 }, onBatch: (b) => batches.push(b.fetched) });
    expect(await contents(limited.schema)).toEqual(expected);
    expect(logLines.some((l) => /more rows than its limit/.test(l.msg))).toBe(true);
    const loaded = logLines.find((l) => l.msg === 'bulk phase loaded') as unknown as { complete: boolean; events: number };
    expect(loaded).toMatchObject({ complete: false });
    expect(loaded.events).toBeLessThan(before.length + after.length);
  });

  it('a value Postgres refuses: the bulk phase gives way to the engine, which dead-letters that record alone', async () => {
    // Avro strings may hold NUL; Postgres text and jsonb may not.
    const refused = await bus.publish({ type: 'task.created', source: 'planner', payload: { taskId: 'nul-task', description: 'a NUL \u0000 byte', priority: 'normal' } });
    await sleep(50);
    const to = new Date();
    const expected = await contents((await rebuild({ to, bulk: false })).schema);
    logLines.length = 0;
    const bulk = await rebuild({ to });
    expect(await contents(bulk.schema)).toEqual(expected);
    expect(logLines.some((l) => /the database refused a value of the bulk phase/.test(l.msg))).toBe(true);
    expect(expected.events.some((e: { event_id: string }) => e.event_id === refused.id)).toBe(false);
    const dead = await new DeadLetterQueue(topics.kafka, dlq(), codec).list({ where: (d) => d.event?.id === refused.id });
    expect(dead).toHaveLength(2);
  });
});
