import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, createTestTopics, mixedWorkload, restartPostgres, spawnService, type ServiceProcess, type TestDatabase, type TestTopics } from '@agentbus/testing';
import type { Knex } from 'knex';
import type { Producer } from 'kafkajs';
import { agentbusCli, countRows, highWatermarks, until } from './auditTesting.spec-support';

const logger = createLogger({ name: 'audit-faults-test', level: process.env.LOG_LEVEL ?? 'fatal', pretty: false });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isJson = (line: string): boolean => {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
};
// Each SIGKILL leaves a dead group member until the broker expires its session (6 s here).
jest.setTimeout(300_000);

describe('audit sink under faults (a real process, a real Postgres)', () => {
  let topics: TestTopics;
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let bus: KafkaEventBus;
  let db: Knex;
  let producer: Producer;
  let sink: ServiceProcess | undefined;

  const startSink = async (): Promise<ServiceProcess> => {
    const p = spawnService('services/audit-sink/src/main.ts', env);
    await until(async () => p.output().includes('audit sink running'), 60_000, `the audit sink to start; output: ${p.output().slice(-500)}`);
    return p;
  };

  /** Mixed events through the bus with a garbage record after every batch, while `during` runs. */
  const produce = async (batches: number, label: string): Promise<void> => {
    const workload = mixedWorkload({ tasks: batches * 6, run: label, seed: 3 });
    const size = Math.ceil(workload.length / batches);
    for (let i = 0; i < workload.length; i += size) {
      await bus.publishMany(workload.slice(i, i + size));
      await producer.send({ topic: `${topics.prefix}.task`, messages: [{ key: `junk-${i}`, value: Buffer.from(`garbage ${i}`) }] });
      await sleep(15);
    }
  };

  const expectCompleteAndValid = async () => {
    const inKafka = [...(await highWatermarks(topics.kafka, topics.topics)).values()].reduce((a, b) => a + b, 0);
    await until(async () => (await countRows(db)) >= inKafka, 120_000, `all ${inKafka} records stored`);
    await sleep(1500);
    expect(await countRows(db)).toBe(inKafka);
    const dup = (await db.raw('select count(*)::int as n, count(distinct event_id)::int as ids, count(event_id)::int as events from audit.records')).rows[0];
    expect(dup.ids).toBe(dup.events);
    const verify = await agentbusCli(env, 'audit', 'verify');
    expect(verify.stdout).toMatch(new RegExp(`^verified ${inKafka} records in \\d+ partitions`));
    expect(verify.code).toBe(0);
  };

  beforeEach(async () => {
    topics = await createTestTopics('audit-faults');
    database = await createTestDatabase('audit_faults', parseConfig(connectionSchema).databaseUrl);
    env = { AGENTBUS_TOPIC_PREFIX: topics.prefix, DATABASE_URL: database.url, AUDIT_SINK_HTTP_PORT: '0', AUDIT_SINK_SESSION_TIMEOUT_MS: '6000', LOG_LEVEL: 'info' };
    bus = createKafkaEventBus({ connection: parseConfig(connectionSchema, { ...process.env, ...env }), service: 'workload', logger });
    await bus.registerSchemas();
    producer = topics.kafka.producer({ idempotent: true });
    await producer.connect();
    db = createDatabase({ url: database.url });
  });

  afterEach(async () => {
    await sink?.kill('SIGKILL');
    sink = undefined;
    await producer.disconnect();
    await bus.close();
    await db.destroy();
    await topics.cleanup();
    await database.drop();
  });

  it('SIGKILLed at random points several times: every record once, and every chain verifies', async () => {
    sink = await startSink();
    const producing = produce(60, 'kill');
    let kills = 0;
    for (let round = 0; round < 4; round++) {
      await sleep(300 + Math.floor(Math.random() * 900));
      await sink.kill('SIGKILL');
      kills++;
      sink = await startSink();
    }
    await producing;
    expect(kills).toBe(4);
    await expectCompleteAndValid();
  });

  it('rides out a Postgres restart mid-stream: it retries, loses nothing, and every chain verifies', async () => {
    sink = await startSink();
    await produce(10, 'pg-before');
    await until(async () => (await countRows(db)) > 0, 60_000, 'the first records stored');
    const producing = produce(40, 'pg-during');
    restartPostgres();
    await producing;
    await expectCompleteAndValid();
    expect(sink.output()).toMatch(/database unavailable; retrying the batch|Connection terminated|terminating connection|Connection ended unexpectedly/);
    expect(sink.child.exitCode).toBeNull();
    // knex's own warnings about the closed connections included: the log stays one JSON object a line.
    expect(sink.output().split('\n').filter((line) => line.trim() !== '' && !isJson(line))).toEqual([]);
  });
});
