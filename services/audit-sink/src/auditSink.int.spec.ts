import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { causedBy, createEvent, eventCategories, type AgentEvent } from '@agentbus/events';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, createTestTopics, mixedWorkload, type TestDatabase, type TestTopics } from '@agentbus/testing';
import type { Knex } from 'knex';
import { startAuditSink, type RunningAuditSink } from './auditSinkService';
import { loadAuditSinkConfig } from './config';
import { migrateAudit } from './migrations';
import { agentbusCli, countRows, highWatermarks, until } from './auditTesting.spec-support';

const logger = createLogger({ name: 'audit-sink-test', level: process.env.LOG_LEVEL ?? 'fatal', pretty: false });
jest.setTimeout(180_000);

const garbage = {
  notAvro: Buffer.from('definitely not an event'),
  unknownSchema: Buffer.concat([Buffer.from([0, 0x00, 0x0f, 0x42, 0x3f]), Buffer.from('junk')]),
};

describe('audit sink', () => {
  let topics: TestTopics;
  let database: TestDatabase;
  let env: NodeJS.ProcessEnv;
  let bus: KafkaEventBus;
  let db: Knex;
  let sink: RunningAuditSink | undefined;
  const published: AgentEvent[] = [];

  beforeAll(async () => {
    topics = await createTestTopics('audit');
    database = await createTestDatabase('audit', parseConfig(connectionSchema).databaseUrl);
    env = { ...process.env, AGENTBUS_TOPIC_PREFIX: topics.prefix, DATABASE_URL: database.url, AUDIT_SINK_HTTP_PORT: '0' };
    bus = createKafkaEventBus({ connection: parseConfig(connectionSchema, env), service: 'workload', logger });
    await bus.registerSchemas();
    db = createDatabase({ url: database.url });
  });

  afterAll(async () => {
    await sink?.stop();
    await bus.close();
    await db.destroy();
    await topics.cleanup();
    await database.drop();
  });

  it('reports the migrations it applied: all of them on a new database, none on one already up to date', async () => {
    const fresh = await createTestDatabase('audit_migrate', parseConfig(connectionSchema).databaseUrl);
    const freshDb = createDatabase({ url: fresh.url });
    try {
      expect(await migrateAudit(freshDb)).toEqual(['001_audit_trail', '002_dead_letter_lookups', '003_records_event_id', '004_write_cheaper_indexes']);
      expect(await migrateAudit(freshDb)).toEqual([]);
    } finally {
      await freshDb.destroy();
      await fresh.drop();
    }
  });

  it('stores every record of every topic once, garbage and dead letters included, and verify passes', async () => {
    sink = await startAuditSink(loadAuditSinkConfig(env), logger);
    // Every category of @agentbus/events (a new one included, such as saga) and the dead-letter topic.
    expect([...sink.topics].sort()).toEqual([...eventCategories.map((c) => `${topics.prefix}.${c}`), `${topics.prefix}.dlq`].sort());
    for (let i = 0, all = mixedWorkload({ tasks: 60, run: 'audit' }); i < all.length; i += 50) published.push(...(await bus.publishMany(all.slice(i, i + 50))));
    const producer = topics.kafka.producer();
    await producer.connect();
    await producer.send({ topic: `${topics.prefix}.task`, messages: [{ key: 'junk', value: garbage.notAvro, headers: { note: 'garbage' } }] });
    await producer.send({ topic: `${topics.prefix}.trust`, messages: [{ key: 'unknown-schema', value: garbage.unknownSchema }] });
    await producer.send({ topic: `${topics.prefix}.data`, messages: [{ key: 'tombstone', value: null }] });
    await producer.send({ topic: `${topics.prefix}.dlq`, messages: [{ key: 'dead', value: garbage.notAvro, headers: { 'agentbus-dlq-reason': 'handler failed' } }] });
    await producer.disconnect();
    const expected = published.length + 4;

    await until(async () => (await countRows(db)) >= expected, 90_000, 'every record in the audit trail');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await countRows(db)).toBe(expected);
    // Exactly the records Kafka holds, partition by partition.
    const inKafka = await highWatermarks(topics.kafka, topics.topics);
    const stored: { topic: string; partition: number; n: number; max: string }[] = (await db.raw('select topic, partition, count(*)::int as n, max(kafka_offset) as max from audit.records group by 1, 2')).rows;
    expect(Object.fromEntries(stored.map((s) => [`${s.topic}/${s.partition}`, s.n]))).toEqual(Object.fromEntries([...inKafka].filter(([, n]) => n > 0)));

    const rows: { event_id: string; type: string; source: string; routing_key: string; correlation_id: string; causation_id: string | null; payload: unknown; schema_id: number; headers: Record<string, string>; raw: Buffer }[] = (
      await db.raw('select * from audit.records where event_id is not null')
    ).rows;
    expect(rows.map((r) => r.event_id).sort()).toEqual(published.map((e) => e.id).sort());
    const byId = new Map(rows.map((r) => [r.event_id, r]));
    for (const event of published) {
      const row = byId.get(event.id)!;
      expect({ type: row.type, source: row.source, routingKey: row.routing_key, correlationId: row.correlation_id, payload: row.payload }).toEqual({
        type: event.type,
        source: event.source,
        routingKey: event.routingKey,
        correlationId: event.metadata.correlationId,
        payload: JSON.parse(JSON.stringify(event.payload)),
      });
      expect(row.schema_id).toBeGreaterThan(0);
      expect(row.raw.length).toBeGreaterThan(5);
      expect(row.headers['agentbus-routing-key']).toBe(event.routingKey);
    }
    const undecodable: { topic: string; raw: Buffer | null; decode_error: string; schema_id: number | null; headers: Record<string, string>; payload: unknown }[] = (
      await db.raw('select topic, raw, decode_error, schema_id, headers, payload from audit.records where event_id is null order by topic')
    ).rows;
    expect(undecodable.map((u) => [u.topic.slice(topics.prefix.length + 1), u.raw?.toString('hex') ?? null, u.schema_id, u.payload])).toEqual([
      ['data', null, null, null],
      ['dlq', garbage.notAvro.toString('hex'), null, null],
      ['task', garbage.notAvro.toString('hex'), null, null],
      ['trust', garbage.unknownSchema.toString('hex'), 999999, null],
    ]);
    for (const u of undecodable) expect(u.decode_error).toMatch(/\S/);
    expect(undecodable.find((u) => u.topic.endsWith('.dlq'))!.headers).toEqual({ 'agentbus-dlq-reason': 'handler failed' });

    const verify = await agentbusCli(env, 'audit', 'verify');
    expect(verify.stdout.trim()).toBe(`verified ${expected} records in ${stored.length} partitions`);
    expect(verify.code).toBe(0);
    const trustRows = stored.filter((s) => s.topic === `${topics.prefix}.trust`);
    const fromPast = await agentbusCli(env, 'audit', 'verify', '--topic', 'trust', '--from', '2000-01-01T00:00:00Z');
    expect(fromPast.stdout.trim()).toBe(`verified ${trustRows.reduce((n, s) => n + s.n, 0)} records in ${trustRows.length} partitions`);
    expect((await agentbusCli(env, 'audit', 'verify', '--from', '2999-01-01T00:00:00Z')).stdout.trim()).toBe('verified 0 records in 0 partitions');
    expect((await agentbusCli(env, 'audit', 'verify', '--from', 'yesterday')).code).toBe(2);
    expect((await agentbusCli(env, 'audit', 'verify', '--topic', 'nope')).code).toBe(3);

    const base = `http://127.0.0.1:${sink.ops.port}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`audit_sink_records_undecodable_total\\{[^}]*topic="${topics.prefix}\\.trust"[^}]*\\} 1`));
    expect(metrics).toMatch(/audit_sink_records_total\{[^}]*\} \d+/);
  });

  it('reports a payload updated by the owner, a deleted row and swapped rows, each at the row it was done to', async () => {
    const topic = `${topics.prefix}.task`;
    const victim: { partition: number; position: string; kafka_offset: string; event_id: string; payload: unknown } = (
      await db.raw('select partition, position, kafka_offset, event_id, payload from audit.records where topic = ? and position = 5 and partition = (select min(partition) from audit.records where topic = ?)', [topic, topic])
    ).rows[0];
    const where = { topic, partition: victim.partition };
    const verifyJson = async () => {
      const run = await agentbusCli(env, 'audit', 'verify', '--topic', 'task', '--json');
      return { code: run.code, result: JSON.parse(run.stdout) as { ok: boolean; problems: Record<string, unknown>[] } };
    };

    await db('audit.records').where({ ...where, position: 5 }).update({ payload: db.raw(`jsonb_set(payload, '{description}', '"nothing to see"')`) });
    const modified = await verifyJson();
    expect(modified.code).toBe(1);
    expect(modified.result.problems).toEqual([expect.objectContaining({ kind: 'modified', position: '5', offset: victim.kafka_offset, eventId: victim.event_id })]);
    const text = await agentbusCli(env, 'audit', 'verify');
    expect(text.stdout).toContain(`MODIFIED: ${topic} partition ${victim.partition}, position 5, offset ${victim.kafka_offset}, event ${victim.event_id}`);
    expect(text.code).toBe(1);
    await db('audit.records').where({ ...where, position: 5 }).update({ payload: victim.payload });
    expect((await verifyJson()).result.ok).toBe(true);

    const row = await db('audit.records').where({ ...where, position: 5 }).first();
    await db('audit.records').where({ ...where, position: 5 }).delete();
    const deleted = await verifyJson();
    expect(deleted.result.problems).toEqual([expect.objectContaining({ kind: 'deleted', position: '6', detail: expect.stringContaining('positions 5..5') })]);
    await db('audit.records').insert(row);
    expect((await verifyJson()).result.ok).toBe(true);

    const next: { kafka_offset: string } = await db('audit.records').where({ ...where, position: 6 }).first('kafka_offset');
    await db.transaction(async (trx) => {
      await trx('audit.records').where({ ...where, position: 5 }).update({ position: -1 });
      await trx('audit.records').where({ ...where, position: 6 }).update({ position: 5 });
      await trx('audit.records').where({ ...where, position: -1 }).update({ position: 6 });
    });
    const swapped = await verifyJson();
    expect(swapped.result.problems).toEqual([expect.objectContaining({ kind: 'reordered', position: '5', offset: next.kafka_offset })]);
  });

  it('lets the writer role only insert and read, refuses UPDATE, DELETE and TRUNCATE to every role but the owner, and lets analysts read the views', async () => {
    const as = (role: string, sql: string): Promise<{ rows: { n: number }[] }> =>
      db.transaction(async (trx) => {
        await trx.raw(`set local role ${role}`);
        return (await trx.raw(sql)) as { rows: { n: number }[] };
      });
    const greedy = `t_audit_greedy_${database.name.slice(-8)}`;
    await db.raw(`create role ${greedy} nologin`);
    await db.raw(`grant usage on schema audit to ${greedy}`);
    await db.raw(`grant all on all tables in schema audit to ${greedy}`);
    try {
      const copyRow = `insert into audit.records select topic, partition, kafka_offset + 100000, position + 100000, kafka_timestamp, record_key, raw, headers, event_id, type, routing_key, source, occurred_at, correlation_id, causation_id, schema_id, schema_version, payload, decode_error, prev_hash, hash, recorded_at from audit.records limit 1`;
      const tx = async (role: string, sql: string) => {
        // Run and roll back, so the trail is left as it was.
        await expect(
          db.transaction(async (trx) => {
            await trx.raw(`set local role ${role}`);
            await trx.raw(sql);
            throw new Error('rolled back');
          }),
        ).rejects.toThrow('rolled back');
      };
      await tx('agentbus_audit_writer', copyRow);
      await expect(as('agentbus_audit_writer', 'select count(*) from audit.records')).resolves.toBeDefined();
      for (const role of ['agentbus_audit_writer', 'agentbus_analyst']) {
        await expect(as(role, "update audit.records set source = 'x'")).rejects.toThrow(/permission denied/);
        await expect(as(role, 'delete from audit.records')).rejects.toThrow(/permission denied/);
        await expect(as(role, 'truncate audit.records')).rejects.toThrow(/permission denied/);
        await expect(as(role, 'delete from audit.chain_heads')).rejects.toThrow(/permission denied/);
      }
      await expect(as('agentbus_analyst', copyRow)).rejects.toThrow(/permission denied/);
      await expect(as('agentbus_analyst', 'select * from audit.records limit 1')).rejects.toThrow(/permission denied/);
      await expect(as('agentbus_audit_writer', 'update audit.chain_heads set rows = rows - 1')).rejects.toThrow(/only moves forward/);
      // A role granted everything is still refused by the triggers.
      await expect(as(greedy, "update audit.records set source = 'x'")).rejects.toThrow(/append-only: UPDATE on audit.records is refused/);
      await expect(as(greedy, 'delete from audit.records')).rejects.toThrow(/append-only: DELETE on audit.records is refused/);
      await expect(as(greedy, 'truncate audit.records')).rejects.toThrow(/append-only: TRUNCATE on audit.records is refused/);
      await expect(as(greedy, 'truncate audit.chain_heads')).rejects.toThrow(/append-only: TRUNCATE on audit.chain_heads is refused/);
      for (const view of ['records', 'decisions', 'chain_heads']) {
        expect((await as('agentbus_analyst', `select count(*)::int as n from audit_read.${view}`)).rows[0]!.n).toBeGreaterThan(0);
      }
    } finally {
      await db.raw(`drop owned by ${greedy}`);
      await db.raw(`drop role ${greedy}`);
    }
  });

  it('runs every audit-trail query in docs/analyst-queries.md as the analyst', async () => {
    const doc = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'analyst-queries.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## The audit trail'));
    const queries = [...section.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(queries.length).toBeGreaterThanOrEqual(3);
    for (const query of queries) {
      await db.transaction(async (trx) => {
        await trx.raw('set local role agentbus_analyst');
        await trx.raw(query);
      });
    }
  });

  it('traces a hand-built causation chain as a tree, in order, with agents and timings', async () => {
    const clock = (() => {
      let t = Date.now();
      return { now: () => (t += 40) };
    })();
    const root = createEvent({ type: 'task.created', source: 'planner', payload: { taskId: 'trace-1', description: 'summarise Q3', priority: 'high', domain: null } }, clock);
    const assigned = createEvent({ type: 'task.assigned', source: 'orchestrator', routingKey: 'task.assigned.worker-1', payload: { taskId: 'trace-1', agentId: 'worker-1', assignedBy: 'orchestrator', description: 'summarise Q3' }, ...causedBy(root) }, clock);
    const proposed = createEvent({ type: 'action.proposed', source: 'worker-1', payload: { actionId: 'trace-a1', proposedBy: 'worker-1', action: 'transfer', arguments: '{}', risk: 'high' }, ...causedBy(assigned) }, clock);
    const acknowledged = createEvent({ type: 'task.acknowledged', source: 'worker-1', payload: { taskId: 'trace-1', agentId: 'worker-1' }, ...causedBy(assigned) }, clock);
    const vetoed = createEvent({ type: 'action.vetoed', source: 'human', payload: { actionId: 'trace-a1', vetoedBy: 'alice', reason: 'too risky' }, ...causedBy(proposed) }, clock);
    const failed = createEvent({ type: 'task.failed', source: 'worker-1', payload: { taskId: 'trace-1', agentId: 'worker-1', error: 'vetoed', retriable: false, attempt: 1 }, ...causedBy(vetoed) }, clock);
    await bus.publishMany([root, assigned, proposed, acknowledged, vetoed, failed]);
    await until(async () => Number((await db.raw('select count(*) as n from audit.records where correlation_id = ?', [root.id])).rows[0].n) === 6, 60_000, 'the workflow stored');

    const json = await agentbusCli(env, 'trace', root.id, '--json');
    expect(json.code).toBe(0);
    const tree = JSON.parse(json.stdout);
    const shape = (n: { type: string; source: string; children: unknown[] }): unknown => [`${n.type} by ${n.source}`, (n.children as { type: string; source: string; children: unknown[] }[]).map(shape)];
    expect(tree.roots.map(shape)).toEqual([
      ['task.created by planner', [['task.assigned by orchestrator', [['action.proposed by worker-1', [['action.vetoed by human', [['task.failed by worker-1', []]]]]], ['task.acknowledged by worker-1', []]]]]],
    ]);
    expect(tree).toMatchObject({ events: 6, agents: ['human', 'orchestrator', 'planner', 'worker-1'], durationMs: 200 });
    expect(tree.roots[0].children[0].children[1]).toMatchObject({ sinceStartMs: 120, sinceCauseMs: 80 });

    const text = await agentbusCli(env, 'trace', root.id);
    expect(text.stdout.split('\n').slice(1, 4)).toEqual([
      // Written without signing keys: each event is marked as not verified, with the reason.
      `task.created  by planner  ✗ NOT VERIFIED (EVENT_UNSIGNED)  +0 ms  ${root.id}`,
      `└─ task.assigned  by orchestrator  ✗ NOT VERIFIED (EVENT_UNSIGNED)  +40 ms (40 ms after its cause)  ${assigned.id}`,
      `   ├─ action.proposed  by worker-1  ✗ NOT VERIFIED (EVENT_UNSIGNED)  +80 ms (40 ms after its cause)  ${proposed.id}`,
    ]);
    expect((await agentbusCli(env, 'trace', 'no-such-workflow')).code).toBe(3);
  });
});
