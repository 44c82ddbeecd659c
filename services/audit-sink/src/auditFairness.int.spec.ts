import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, createTestTopics, mixedWorkload, type TestDatabase, type TestTopics } from '@agentbus/testing';
import type { Knex } from 'knex';
import { startAuditSink, type RunningAuditSink } from './auditSinkService';
import { loadAuditSinkConfig } from './config';
import { countRows, until } from './auditTesting.spec-support';

const logger = createLogger({ name: 'audit-fairness-test', level: process.env.LOG_LEVEL ?? 'fatal', pretty: false });
jest.setTimeout(240_000);

describe('audit sink under a mixed load', () => {
  let topics: TestTopics;
  let database: TestDatabase;
  let bus: KafkaEventBus;
  let db: Knex;
  let sink: RunningAuditSink | undefined;

  afterAll(async () => {
    await sink?.stop();
    await bus?.close();
    await db?.destroy();
    await topics?.cleanup();
    await database?.drop();
  });

  it('stores the quiet topics while a busy topic still has a large backlog: the busy one does not starve them', async () => {
    topics = await createTestTopics('audit-fair');
    database = await createTestDatabase('audit_fair', parseConfig(connectionSchema).databaseUrl);
    const env = { ...process.env, AGENTBUS_TOPIC_PREFIX: topics.prefix, DATABASE_URL: database.url, AUDIT_SINK_HTTP_PORT: '0' };
    bus = createKafkaEventBus({ connection: parseConfig(connectionSchema, env), service: 'workload', logger });
    await bus.registerSchemas();
    db = createDatabase({ url: database.url });

    // A backlog of 30,000 task events, then a handful on every other category.
    const hot = `${topics.prefix}.task`;
    const busy = Array.from({ length: 30_000 }, (_, i) => ({ type: 'task.created', source: 'planner', payload: { taskId: `hot-${i}`, description: `task ${i} `.repeat(20), priority: 'normal', domain: null } }));
    for (let i = 0; i < busy.length; i += 1000) await bus.publishMany(busy.slice(i, i + 1000));
    const quiet = mixedWorkload({ tasks: 20, run: 'quiet' }).filter((e) => !e.type.startsWith('task.'));
    await bus.publishMany(quiet);

    sink = await startAuditSink(loadAuditSinkConfig(env), logger);
    await until(async () => (await countRows(db)) === busy.length + quiet.length, 180_000, 'every record stored');

    // When the last quiet record was stored (its transaction's start), how much of the backlog was in?
    const { hotBefore } = (
      await db.raw(
        `select count(*)::int as "hotBefore" from audit.records
         where topic = ? and recorded_at <= (select max(recorded_at) from audit.records where topic <> ?)`,
        [hot, hot],
      )
    ).rows[0];
    expect(Number((await db.raw('select count(distinct topic)::int as n from audit.records where topic <> ?', [hot])).rows[0].n)).toBeGreaterThanOrEqual(3);
    expect(hotBefore).toBeLessThan(busy.length / 2);
  });
});
