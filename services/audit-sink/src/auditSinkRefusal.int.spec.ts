import { Writable } from 'node:stream';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, createTestTopics, type TestDatabase, type TestTopics } from '@agentbus/testing';
import type { Knex } from 'knex';
import { startAuditSink, type RunningAuditSink } from './auditSinkService';
import { loadAuditSinkConfig } from './config';
import { auditWriterRole, migrateAudit } from './migrations';
import { countRows, until } from './auditTesting.spec-support';

jest.setTimeout(120_000);

describe('audit sink while Postgres refuses the sink itself (a revoked grant)', () => {
  let topics: TestTopics;
  let database: TestDatabase;
  let db: Knex;
  let sink: RunningAuditSink | undefined;

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

  it('retries the batch until the grant is back: nothing is dead-lettered or skipped, and every later batch is stored', async () => {
    const lines: string[] = [];
    const logger = createLogger({ name: 'audit-refusal-test', level: 'info', destination: new Writable({ write: (c: Buffer, _e, done) => (lines.push(c.toString()), done()) }) });
    const topic = `${topics.prefix}.task`;
    sink = await startAuditSink(loadAuditSinkConfig({ ...process.env, AGENTBUS_TOPIC_PREFIX: topics.prefix, DATABASE_URL: database.url, AUDIT_SINK_HTTP_PORT: '0' }), logger);
    const producer = topics.kafka.producer();
    await producer.connect();
    const send = (from: number, to: number) => producer.send({ topic, messages: Array.from({ length: to - from }, (_, i) => ({ partition: 0, key: `k${from + i}`, value: Buffer.from(`record ${from + i}`) })) });

    // Every record would be refused alike: the sink must wait for the operator, not blame the records.
    await db.raw(`revoke insert on audit.records from ${auditWriterRole}`);
    await send(0, 5);
    await until(async () => lines.filter((l) => l.includes('the database refuses this service')).length >= 2, 60_000, 'the sink to fail the batch twice');
    await db.raw(`grant insert on audit.records to ${auditWriterRole}`);
    await until(async () => (await countRows(db)) === 5, 60_000, 'the refused batch stored once Postgres accepts it');
    await send(5, 10);
    await until(async () => (await countRows(db)) === 10, 60_000, 'the later batch stored too');
    await producer.disconnect();
    const offsets = (await db.raw('select kafka_offset from audit.records where topic = ? and partition = 0 order by kafka_offset', [topic])).rows.map((r: { kafka_offset: string }) => Number(r.kafka_offset));
    expect(offsets).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(lines.filter((l) => l.includes('sent to the dead-letter topic'))).toEqual([]);
  });
});
