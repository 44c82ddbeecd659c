import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { Knex } from 'knex';
import { createKafkaEventBus, DeadLetterQueue, type KafkaEventBus } from '@agentbus/bus';
import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { allowAgent, generateSigningKey, migrateIdentity, revokeAgent } from '@agentbus/identity';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { attackGrants, createTestDatabase, createTestTopics, identityAttacks, legitimateEvent, type AttackKeys, type TestDatabase, type TestTopics } from '@agentbus/testing';
import { writeFileSync } from 'node:fs';
import { allProjections } from '@agentbus/projections';
import { rebuildReadModels } from '@agentbus/read-models';
import { serviceIdentity } from '@agentbus/runtime';
import { loadProjectorConfig } from './config';
import { startProjector, type RunningProjector } from './projector';

const eventually = async <T>(probe: () => Promise<T>, accept: (v: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (accept(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last saw ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
};

describe('projector with AGENTBUS_VERIFY_SIGNATURES=require (issue 15)', () => {
  let topics: TestTopics;
  let database: TestDatabase;
  let db: Knex;
  let projector: RunningProjector | undefined;
  let bus: KafkaEventBus;
  let logText = '';
  const dir = mkdtempSync(join(tmpdir(), 'agentbus-projector-key-'));
  const keys: AttackKeys = { alice: generateSigningKey(), bob: generateSigningKey(), carol: generateSigningKey(), revoked: generateSigningKey(), mallory: generateSigningKey() };
  const projectorKey = generateSigningKey();
  const logger = createLogger({
    name: 'projector-identity',
    level: 'debug',
    pretty: false,
    destination: new Writable({
      write(chunk, _enc, done) {
        logText += String(chunk);
        done();
      },
    }),
  });

  beforeAll(async () => {
    topics = await createTestTopics('projid');
    database = await createTestDatabase('projid', parseConfig(connectionSchema).databaseUrl);
    db = createDatabase({ url: database.url });
    await migrateIdentity(db);
    for (const grant of attackGrants(keys)) await allowAgent(db, grant);
    await allowAgent(db, { did: projectorKey.did, types: ['violation.detected'], name: 'projector' });
    await revokeAgent(db, keys.revoked.did);
    writeFileSync(join(dir, 'projector.key'), projectorKey.exportPem(), { mode: 0o600 });
  });
  afterAll(async () => {
    await projector?.stop();
    await bus?.close();
    await db?.destroy();
    await topics?.cleanup();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('applies signed, allowed events, dead-letters each attack with its code, and counts a violation per offence in the trust read model', async () => {
    const env = { ...process.env, AGENTBUS_TOPIC_PREFIX: topics.prefix, DATABASE_URL: database.url, PROJECTOR_HTTP_PORT: '0', AGENTBUS_VERIFY_SIGNATURES: 'require', AGENTBUS_SIGNING_KEY_FILE: join(dir, 'projector.key') };
    const connection = parseConfig(connectionSchema, env);
    bus = createKafkaEventBus({ connection, service: 'workload', logger, signingKey: keys.alice });
    await bus.registerSchemas();
    const codec = new AvroEventCodec({ registry: createRegistryClient(connection.registry), catalog: loadSchemaCatalog(), topicPrefix: topics.prefix });
    const attacks = await identityAttacks(codec, keys, 'proj');

    projector = await startProjector(loadProjectorConfig(env), logger);
    await bus.publish({ type: 'task.created', source: 'ignored', payload: { taskId: 'legit-sdk', description: 'signed by the SDK', priority: 'normal' } });
    const producer = topics.kafka.producer();
    await producer.connect();
    for (const attack of attacks) await producer.send({ topic: attack.topic, messages: [attack.message] });
    const after = await legitimateEvent(codec, keys.bob, 'legit-after');
    await producer.send({ topic: after.topic, messages: [after.message] });
    await producer.disconnect();

    const tasks = await eventually(async () => (await db.raw('select task_id from read.tasks order by task_id')).rows.map((r: { task_id: string }) => r.task_id) as string[], (t) => t.includes('legit-after') && t.includes('legit-sdk'), 'both signed tasks');
    expect(tasks).toEqual(['legit-after', 'legit-sdk']);

    const deadLetters = new DeadLetterQueue(topics.kafka, `${topics.prefix}.dlq`, codec);
    const dead = await eventually(() => deadLetters.list(), (d) => d.length >= attacks.length, 'a dead letter per attack');
    expect(dead).toHaveLength(attacks.length);
    for (const attack of attacks) expect([attack.name, dead.find((d) => d.key === String(attack.message.key))?.code]).toEqual([attack.name, attack.code]);
    expect(dead.every((d) => d.service === 'projector')).toBe(true);

    const counts = await eventually(
      async () => (await db.raw('select agent_id, count(*)::int as n from read.violations group by agent_id')).rows as { agent_id: string; n: number }[],
      (rows) => rows.reduce((n, r) => n + r.n, 0) === attacks.length,
      'a violation per attack in read.violations',
    );
    const expected = new Map<string, number>();
    for (const a of attacks) expected.set(a.offender, (expected.get(a.offender) ?? 0) + 1);
    expect(new Map(counts.map((r) => [r.agent_id, r.n]))).toEqual(expected);
    const scored = (await db.raw('select agent_id from read.trust_scores where last_violation_at is not null')).rows.map((r: { agent_id: string }) => r.agent_id);
    expect(scored.sort()).toEqual([...expected.keys()].sort());
    // The reports are the projector's own, signed and allowed: read back, not refused again.
    const reports = (await db.raw(`select source from read.events where type = 'violation.detected'`)).rows as { source: string }[];
    expect(reports.every((r) => r.source === projectorKey.did)).toBe(true);

    // A rebuild with the same setting refuses the same records: its read models equal the live ones.
    const { verifier } = await serviceIdentity(loadProjectorConfig(env).identity, db, logger);
    const rebuilt = await rebuildReadModels({
      db,
      kafka: topics.kafka,
      codec,
      topics: ['task', 'agent', 'data', 'decision', 'trust', 'system', 'saga'].map((c) => `${topics.prefix}.${c}`),
      consumer: 'projector',
      projections: allProjections,
      deadLetterTopic: `${topics.prefix}.dlq`,
      logger,
      databaseUrl: database.url,
      to: new Date(),
      identity: { verifier: verifier!, signingKey: projectorKey },
    });
    expect(rebuilt.swapped).toBe(false);
    expect((await db.raw(`select task_id from ${rebuilt.schema}.tasks order by task_id`)).rows.map((r: { task_id: string }) => r.task_id)).toEqual(['legit-after', 'legit-sdk']);
    expect(Number((await db.raw(`select count(*)::int as n from ${rebuilt.schema}.violations`)).rows[0].n)).toBe(attacks.length);

    const body = projectorKey.exportPem().split('\n').slice(1, -2).join('');
    expect(logText).toContain('NOT_AUTHORIZED');
    expect(logText).not.toContain(body.slice(0, 40));
  });
});
