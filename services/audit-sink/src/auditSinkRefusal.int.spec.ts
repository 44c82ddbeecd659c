import { Writable } from 'node:stream';
import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, createTestTopics, type TestDatabase, type TestTopics } from '@agentbus/testing';
import type { Knex } from 'knex';
import { AuditSink } from './auditSink';
import { auditWriterRole, migrateAudit } from './migrations';
import { countRows, until } from './auditTesting.spec-support';

jest.setTimeout(120_000);

describe('audit sink after a batch Postgres refused', () => {
  let topics: TestTopics;
  let database: TestDatabase;
  let db: Knex;
  let sink: AuditSink | undefined;

  beforeEach(async () => {
    topics = await createTestTopics('audit-refusal');
    database = await createTestDatabase('audit_refusal', parseConfig(connectionSchema).databaseUrl);
    db = createDatabase({ url: database.url });
    await migrateAudit(db);
  });

  afterEach(async () => {
    await sink?.stop();
    await db.destroy();
    await topics.cleanup();
    await database.drop();
  });

  it('reads the partition again from its head and keeps consuming it: the refused batch and every later one are stored', async () => {
    const connection = parseConfig(connectionSchema, { ...process.env, AGENTBUS_TOPIC_PREFIX: topics.prefix });
    const lines: string[] = [];
    const logger = createLogger({ name: 'audit-refusal-test', level: 'info', destination: new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }) });
    const topic = `${topics.prefix}.task`;
    sink = new AuditSink({
      kafka: topics.kafka,
      codec: new AvroEventCodec({ registry: createRegistryClient(connection.registry), catalog: loadSchemaCatalog(), topicPrefix: topics.prefix }),
      db,
      databaseUrl: database.url,
      groupId: `${topics.prefix}.audit-sink`,
      topics: [topic],
      logger,
      partitionsConsumedConcurrently: 1,
      retry: { initialDelayMs: 20, maxDelayMs: 100 },
    });
    await sink.start();
    const producer = topics.kafka.producer();
    await producer.connect();
    const send = (from: number, to: number) => producer.send({ topic, messages: Array.from({ length: to - from }, (_, i) => ({ partition: 0, key: `k${from + i}`, value: Buffer.from(`record ${from + i}`) })) });

    // A refusal that is not the connection's (no retry helps): the sink seeks back to its head.
    await db.raw(`revoke insert on audit.records from ${auditWriterRole}`);
    await send(0, 5);
    await until(async () => lines.filter((l) => l.includes('could not store the batch')).length >= 2, 60_000, 'the sink to fail the batch twice');
    await db.raw(`grant insert on audit.records to ${auditWriterRole}`);
    await until(async () => (await countRows(db)) === 5, 60_000, 'the refused batch stored once Postgres accepts it');
    await send(5, 10);
    await until(async () => (await countRows(db)) === 10, 60_000, 'the later batch stored too');
    await producer.disconnect();
    const offsets = (await db.raw('select kafka_offset from audit.records where topic = ? and partition = 0 order by kafka_offset', [topic])).rows.map((r: { kafka_offset: string }) => Number(r.kafka_offset));
    expect(offsets).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
