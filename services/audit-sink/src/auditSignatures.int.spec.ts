import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Knex } from 'knex';
import { causedBy, createEvent } from '@agentbus/events';
import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { readSigningKeyFile, signatureHeader, signRecord, signRecordGroups, signRecordsV2 } from '@agentbus/identity';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, createTestTopics, legitimateEvent, type TestDatabase, type TestTopics } from '@agentbus/testing';
import { startAuditSink, type RunningAuditSink } from './auditSinkService';
import { loadAuditSinkConfig } from './config';
import { agentbusCli, countRows, until } from './auditTesting.spec-support';

const logger = createLogger({ name: 'audit-signatures-test', level: process.env.LOG_LEVEL ?? 'fatal', pretty: false });
jest.setTimeout(180_000);

interface Node {
  type: string;
  source: string;
  verification?: { verified: boolean; code?: string };
  children: Node[];
}
const flatten = (n: Node): Node[] => [n, ...n.children.flatMap(flatten)];
const pemBody = (file: string) => readFileSync(file, 'utf8').split('\n').slice(1, -2).join('');

describe('keys, the agent policy, audit verify --signatures and trace marks, through the CLI (issue 15)', () => {
  let topics: TestTopics;
  let database: TestDatabase;
  let db: Knex;
  let sink: RunningAuditSink | undefined;
  const buses: KafkaEventBus[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'agentbus-audit-keys-'));

  afterAll(async () => {
    await sink?.stop();
    for (const b of buses) await b.close();
    await db?.destroy();
    await topics?.cleanup();
    await database?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('generates keys, manages the policy, and reports each stored record that is not signed by an allowed source', async () => {
    topics = await createTestTopics('audit-sig');
    database = await createTestDatabase('audit_sig', parseConfig(connectionSchema).databaseUrl);
    const env = { AGENTBUS_TOPIC_PREFIX: topics.prefix, DATABASE_URL: database.url, AUDIT_SINK_HTTP_PORT: '0' };
    const connection = parseConfig(connectionSchema, { ...process.env, ...env });
    db = createDatabase({ url: database.url });

    const generated: Record<string, { did: string; file: string }> = {};
    for (const name of ['alice', 'bob']) {
      const run = await agentbusCli(env, 'keys', 'generate', '--out', join(dir, `${name}.key`), '--json');
      expect(run.code).toBe(0);
      generated[name] = JSON.parse(run.stdout);
      expect(Object.keys(generated[name]!)).toEqual(['did', 'file']);
      expect(generated[name]!.did).toMatch(/^did:key:z6Mk/);
      expect(statSync(join(dir, `${name}.key`)).mode & 0o777).toBe(0o600);
      expect(run.stdout + run.stderr).not.toContain(pemBody(join(dir, `${name}.key`)).slice(0, 40));
    }
    const alice = generated.alice!.did;
    const bob = generated.bob!.did;

    expect((await agentbusCli(env, 'agents', 'allow', alice, '--types', 'task.*', '--name', 'alice', '--json')).code).toBe(0);
    expect((await agentbusCli(env, 'agents', 'allow', bob, '--types', 'task.*,agent.#', '--name', 'bob')).stdout).toContain(`allowed bob ${bob}`);
    const revoked = await agentbusCli(env, 'agents', 'revoke', bob, '--json');
    expect(JSON.parse(revoked.stdout)).toMatchObject({ did: bob, revokedAt: expect.any(String) });
    const listed = JSON.parse((await agentbusCli(env, 'agents', 'list', '--json')).stdout) as { did: string; name: string; types: string[]; revokedAt: string | null }[];
    expect(listed.map((g) => [g.name, g.did, g.types, g.revokedAt !== null])).toEqual([
      ['alice', alice, ['task.*'], false],
      ['bob', bob, ['task.*', 'agent.#'], true],
    ]);
    const bad = await agentbusCli(env, 'agents', 'allow', 'did:key:z6MkNOPE', '--types', 'task.*');
    expect(bad.code).toBe(2);

    sink = await startAuditSink(loadAuditSinkConfig({ ...process.env, ...env }), logger);
    const bus = (key?: string) => {
      const b = createKafkaEventBus({ connection, service: 'audit-sig', logger, ...(key ? { signingKey: readSigningKeyFile(key) } : {}) });
      buses.push(b);
      return b;
    };
    const aliceBus = bus(join(dir, 'alice.key'));
    await aliceBus.registerSchemas();
    const task = (taskId: string) => ({ type: 'task.created', source: 'x', payload: { taskId, description: 'd', priority: 'normal' } });
    const root = await aliceBus.publish(task('sig-root'));
    await aliceBus.publish({ ...task('sig-child'), ...causedBy(root) });
    await bus().publish({ ...task('sig-unsigned'), source: 'did:agent:legacy', ...causedBy(root) });
    await bus(join(dir, 'bob.key')).publish({ ...task('sig-revoked'), ...causedBy(root) });
    const codec = new AvroEventCodec({ registry: createRegistryClient(connection.registry), catalog: loadSchemaCatalog(), topicPrefix: topics.prefix });
    const flipped = await legitimateEvent(codec, readSigningKeyFile(join(dir, 'alice.key')), 'sig-flipped');
    const value = Buffer.from(flipped.message.value as Buffer);
    value[value.indexOf(Buffer.from('forged-'))] = 'F'.charCodeAt(0);
    const producer = topics.kafka.producer();
    await producer.connect();
    await producer.send({ topic: flipped.topic, messages: [{ ...flipped.message, value }] });
    // Records signed as writers did before v3 (a v2 batch of two, a v1 single): still verified.
    const aliceKey = readSigningKeyFile(join(dir, 'alice.key'));
    const older = await Promise.all(['sig-v2-a', 'sig-v2-b', 'sig-v1'].map((taskId) => codec.encode(createEvent({ ...task(taskId), source: alice, ...causedBy(root) }))));
    const oldHeaders = [...signRecordsV2(aliceKey, older.slice(0, 2).map((e) => ({ topic: e.topic, routingKey: e.event.routingKey, value: e.value }))), signRecord(aliceKey, { topic: older[2]!.topic, routingKey: older[2]!.event.routingKey, value: older[2]!.value })];
    await producer.send({ topic: older[0]!.topic, messages: older.map((e, i) => ({ key: e.event.id, value: e.value, headers: { 'agentbus-routing-key': e.event.routingKey, [signatureHeader]: oldHeaders[i]! } })) });
    // v4: a group of two proven by its carrier, read back from the trail by offset, and a member sent without its carrier.
    // The group's carrier is of another workflow: the trace below reads it from the trail by its offset.
    const v4 = await Promise.all(['sig-v4-a', 'sig-v4-b', 'sig-v4-orphan', 'sig-v4-orphan-carrier'].map((taskId) => codec.encode(createEvent({ ...task(taskId), source: alice, ...(taskId === 'sig-v4-b' ? {} : causedBy(root)) }))));
    const v4Headers = signRecordGroups(aliceKey, [v4.slice(0, 2), v4.slice(2)].map((g) => g.map((e) => ({ topic: e.topic, routingKey: e.event.routingKey, value: e.value }))));
    const v4Message = (e: (typeof v4)[number], signature: Buffer) => ({ key: e.event.id, value: e.value, partition: 0, headers: { 'agentbus-routing-key': e.event.routingKey, [signatureHeader]: signature } });
    await producer.send({ topic: v4[0]!.topic, messages: [v4Message(v4[0]!, v4Headers[0]![0]!), v4Message(v4[1]!, v4Headers[0]![1]!)] });
    await producer.send({ topic: v4[0]!.topic, messages: [v4Message(v4[2]!, v4Headers[1]![0]!)] });
    await producer.disconnect();
    await until(async () => (await countRows(db)) === 11, 60_000, 'eleven records in the audit trail');

    const verify = await agentbusCli(env, 'audit', 'verify', '--signatures', '--json');
    expect(verify.code).toBe(1);
    const result = JSON.parse(verify.stdout) as { ok: boolean; problems: unknown[]; signatures: { checked: number; verified: number; problems: { code: string; source: string; reason: string }[] } };
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual([]);
    expect(result.signatures.checked).toBe(11);
    expect(result.signatures.verified).toBe(7);
    expect(result.signatures.problems.map((p) => [p.code, p.source]).sort()).toEqual(
      [
        ['EVENT_UNSIGNED', 'did:agent:legacy'],
        ['NOT_AUTHORIZED', bob],
        ['SIGNATURE_INVALID', alice],
        ['SIGNATURE_INVALID', alice],
      ].sort(),
    );
    expect(result.signatures.problems.filter((p) => /carrier, the record at offset \d+ of partition 0, which was not read with it/.test(p.reason))).toHaveLength(1);
    expect(result.signatures.problems.find((p) => p.code === 'NOT_AUTHORIZED')!.reason).toContain('revoked');
    const text = await agentbusCli(env, 'audit', 'verify', '--signatures');
    expect(text.stdout).toContain('signatures: 7 of 11 records signed by their source and allowed by the agent policy');
    expect(text.stdout).toMatch(/EVENT_UNSIGNED: .*task.created/);

    const trace = await agentbusCli(env, 'trace', root.metadata.correlationId!, '--json');
    expect(trace.code).toBe(0);
    const nodes = (JSON.parse(trace.stdout) as { roots: Node[] }).roots.flatMap(flatten);
    expect(nodes.map((n) => [n.source, n.verification]).sort()).toEqual(
      [
        [alice, { verified: true }],
        [alice, { verified: true }],
        [alice, { verified: true }],
        [alice, { verified: true }],
        [alice, { verified: true }],
        [alice, { verified: true }],
        [alice, { verified: false, code: 'SIGNATURE_INVALID' }],
        ['did:agent:legacy', { verified: false, code: 'EVENT_UNSIGNED' }],
        [bob, { verified: false, code: 'NOT_AUTHORIZED' }],
      ].sort(),
    );
    expect((await agentbusCli(env, 'trace', root.metadata.correlationId!)).stdout).toContain('✗ NOT VERIFIED (EVENT_UNSIGNED)');

    for (const name of ['alice', 'bob']) for (const run of [verify, text, trace]) expect(run.stdout + run.stderr).not.toContain(pemBody(join(dir, `${name}.key`)).slice(0, 40));

    // Rotation: alice's key is revoked now. What the trail recorded while it was allowed still
    // verifies; what it records after the revocation does not.
    expect((await agentbusCli(env, 'agents', 'revoke', alice)).code).toBe(0);
    await aliceBus.publish({ ...task('sig-after-revocation'), ...causedBy(root) });
    await until(async () => (await countRows(db)) === 12, 60_000, 'the record signed after the revocation in the audit trail');
    const rotated = JSON.parse((await agentbusCli(env, 'audit', 'verify', '--signatures', '--json')).stdout) as { signatures: { checked: number; verified: number; problems: { code: string; source: string; eventId: string; reason: string }[] } };
    expect(rotated.signatures.checked).toBe(12);
    expect(rotated.signatures.verified).toBe(7);
    const late = rotated.signatures.problems.filter((p) => p.source === alice && p.code === 'NOT_AUTHORIZED');
    expect(late).toHaveLength(1);
    expect(late[0]!.reason).toContain('revoked');
  });
});
