import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, createTestTopics, foreignTaskRecords, type TestDatabase, type TestTopics } from '@agentbus/testing';
import type { Knex } from 'knex';
import { startAuditSink, type RunningAuditSink } from './auditSinkService';
import { countRows, until } from './auditTesting.spec-support';
import { loadAuditSinkConfig } from './config';

const logger = createLogger({ name: 'audit-foreign-test', level: process.env.LOG_LEVEL ?? 'fatal', pretty: false });
jest.setTimeout(180_000);

describe('audit sink, records from a producer in another language', () => {
  let topics: TestTopics;
  let database: TestDatabase;
  let bus: KafkaEventBus;
  let db: Knex;
  let sink: RunningAuditSink | undefined;

  beforeAll(async () => {
    topics = await createTestTopics('audit-foreign');
    database = await createTestDatabase('audit_foreign', parseConfig(connectionSchema).databaseUrl);
    db = createDatabase({ url: database.url });
  });
  afterAll(async () => {
    await sink?.stop();
    await bus?.close();
    await db.destroy();
    await topics.cleanup();
    await database.drop();
  });

  it('stores each refused record raw with its code and reason, and the correct one as an event', async () => {
    const env = { ...process.env, AGENTBUS_TOPIC_PREFIX: topics.prefix, DATABASE_URL: database.url, AUDIT_SINK_HTTP_PORT: '0' };
    bus = createKafkaEventBus({ connection: parseConfig(connectionSchema, env), service: 'workload', logger });
    await bus.registerSchemas();
    const topic = `${topics.prefix}.task`;
    const records = await foreignTaskRecords(parseConfig(connectionSchema, env).registry.url, topic);
    const producer = topics.kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: records.map(({ key, value, headers }) => ({ key, value, headers })) });
    await producer.disconnect();

    sink = await startAuditSink(loadAuditSinkConfig(env), logger);
    await until(async () => (await countRows(db, topic)) === records.length, 90_000, 'every foreign record stored');

    const rows: { key: string; event_id: string | null; raw: Buffer | null; decode_error: string | null }[] = (
      await db.raw(`select convert_from(record_key, 'UTF8') as key, event_id, raw, decode_error from audit.records where topic = ?`, [topic])
    ).rows;
    for (const record of records) {
      const row = rows.find((r) => r.key === record.key)!;
      if (!record.refusal) {
        expect(row).toMatchObject({ event_id: 'evt-foreign-ok', decode_error: null });
        continue;
      }
      expect(row.event_id).toBeNull();
      expect(row.raw).toEqual(record.value);
      const prefix = `${record.refusal.code}: `;
      expect(row.decode_error!.slice(0, prefix.length)).toBe(prefix);
      expect(row.decode_error!.slice(prefix.length)).toMatch(record.refusal.reason);
    }
  });
});
