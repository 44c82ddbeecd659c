import { Writable } from 'node:stream';
import type { Knex } from 'knex';
import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { createEvent, type AgentEvent } from '@agentbus/events';
import { allowAgent, carrierHeaderName, generateSigningKey, migrateIdentity, postgresAgentPolicy, revokeAgent, signatureHeader, signRecord, signRecordGroups, signRecordsV2, verifyRecordSignature } from '@agentbus/identity';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { attackGrants, createTestDatabase, identityAttacks, legitimateEvent, type AttackKeys, type TestDatabase } from '@agentbus/testing';
import { eventually } from '../testing';
import { kafkaWorld } from '../kafka/kafkaWorld.spec-support';

const wait = <T>(probe: () => T | Promise<T>, accept: (v: T) => boolean, what: string) => eventually(probe, accept, 45_000, what);
// Handlers see headers as text; a v3 signature is bytes, shown as base64.
const v3Bytes = (shown: string) => (shown.startsWith('base64:') ? Buffer.from(shown.slice('base64:'.length), 'base64') : Buffer.alloc(0));
const taskIdOf = (e: AgentEvent) => (e.payload as { taskId?: string; agentId?: string }).taskId ?? (e.payload as { agentId?: string }).agentId;

const published = (taskId: string) => createEvent({ type: 'task.created', source: 'x', payload: { taskId, description: 'd', priority: 'normal', domain: null, requiredCapability: null, input: null } });

describe('signed events on the Kafka bus (issue 15)', () => {
  let world: Awaited<ReturnType<typeof kafkaWorld>>;
  let database: TestDatabase;
  let db: Knex;
  let logText = '';
  const keys: AttackKeys = { alice: generateSigningKey(), bob: generateSigningKey(), carol: generateSigningKey(), revoked: generateSigningKey(), mallory: generateSigningKey() };
  const reader = generateSigningKey();
  const logger = createLogger({
    name: 'identity-test',
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
    world = await kafkaWorld('identity');
    database = await createTestDatabase('identity', world.connection.databaseUrl);
    db = createDatabase({ url: database.url, applicationName: 'identity-test' });
    await migrateIdentity(db);
    for (const grant of attackGrants(keys)) await allowAgent(db, grant);
    await allowAgent(db, { did: reader.did, types: ['violation.detected'], name: 'reader' });
    await revokeAgent(db, keys.revoked.did);
  });
  afterAll(async () => {
    await world?.cleanup();
    await db?.destroy();
    await database?.drop();
  });

  it('signs what it publishes: source is the DID, and the signature verifies over the record as read', async () => {
    const bus = await world.bus('signer', { signingKey: keys.alice });
    const seen: { event: AgentEvent; headers: Record<string, string>; topic: string }[] = [];
    await (await bus.subscribe('task.created', (event, ctx) => void seen.push({ event, headers: { ...ctx.headers }, topic: ctx.topic }), { name: 'raw' })).ready();
    const published = await bus.publish({ type: 'task.created', source: 'worker-1', payload: { taskId: 'signed-1', description: 'd', priority: 'normal' } });
    expect(published.source).toBe(keys.alice.did);
    const [got] = await wait(() => seen, (s) => s.length === 1, 'the signed event');
    expect(got!.event.source).toBe(keys.alice.did);
    const header = v3Bytes(got!.headers[signatureHeader]!);
    expect([header[0], header[1], header[2], header.length, header.readUInt16BE(101)]).toEqual([0xff, 3, 1, 103, 1]);
  });

  it('signs a publishMany batch with one signature (v4: a group per partition, carried by its last record), and a reader that requires signatures takes them all, and v1 and v2 records too', async () => {
    const bus = await world.bus('batch-signer', { signingKey: keys.alice });
    const verifying = await world.bus('batch-reader', { policy: postgresAgentPolicy(db), logger });
    const seen: { taskId: string; header: string }[] = [];
    await (await verifying.subscribe('task.created', (event, ctx) => void seen.push({ taskId: taskIdOf(event)!, header: String(ctx.headers[signatureHeader]) }), { name: 'batch', verify: 'require', fromBeginning: false })).ready();
    const taskIds = Array.from({ length: 300 }, (_, i) => `batch-${i}`);
    await bus.publishMany(taskIds.map((taskId) => ({ type: 'task.created', source: 'worker-1', payload: { taskId, description: 'd', priority: 'normal' } })));
    await wait(() => seen, (s) => s.length === taskIds.length, 'every record of the batch');
    expect(seen.map((s) => s.taskId).sort()).toEqual([...taskIds].sort());
    const headers = seen.map((s) => v3Bytes(s.header));
    expect(headers.every((h) => h[0] === 0xff && h[1] === 4)).toBe(true);
    expect(headers.filter((h) => h[3] === 0).every((h) => h.length === 8)).toBe(true);
    const carriers = headers.filter((h) => h[3] === 1);
    // One carrier per partition the publish wrote to, together carrying every record, under one signature.
    expect(carriers.length).toBeGreaterThan(1);
    expect(carriers.reduce((n, c) => n + c.readUInt16BE(6), 0)).toBe(taskIds.length);
    expect(new Set(carriers.map((c) => c.subarray(40, 104).toString('hex'))).size).toBe(1);

    // Records signed as before v3 (v2 per batch, v1 alone) are still taken.
    const codec = new AvroEventCodec({ registry: createRegistryClient(world.connection.registry), catalog: loadSchemaCatalog(), topicPrefix: world.topics.prefix });
    const older = await Promise.all(['older-v2-a', 'older-v2-b', 'older-v1'].map((taskId) => codec.encode({ ...(published(taskId)), source: keys.alice.did })));
    const v2 = signRecordsV2(keys.alice, older.slice(0, 2).map((e) => ({ topic: e.topic, routingKey: e.event.routingKey, value: e.value })));
    const v1 = signRecord(keys.alice, { topic: older[2]!.topic, routingKey: older[2]!.event.routingKey, value: older[2]!.value });
    const producer = world.topics.kafka.producer();
    await producer.connect();
    await producer.send({ topic: older[0]!.topic, messages: older.map((e, i) => ({ key: e.event.id, value: e.value, headers: { 'agentbus-routing-key': e.event.routingKey, [signatureHeader]: [...v2, v1][i]! } })) });
    await producer.disconnect();
    await wait(() => seen, (s) => s.length === taskIds.length + 3, 'the v1 and v2 records');
    expect(seen.slice(taskIds.length).map((s) => s.header.slice(0, 4)).sort()).toEqual(['v=1;', 'v=2;', 'v=2;']);
    expect(await world.deadLetters.list()).toHaveLength(0);
    // The next test counts the dead letters of its own subscription only.
    await verifying.close();
    await bus.close();
  });

  it('refuses every attack with its code, dead-letters it, reports the offender, loses nothing else and keeps consuming', async () => {
    const codec = new AvroEventCodec({ registry: createRegistryClient(world.connection.registry), catalog: loadSchemaCatalog(), topicPrefix: world.topics.prefix });
    const attacks = await identityAttacks(codec, keys, 'bus');
    const bus = await world.bus('guard', { signingKey: reader, policy: postgresAgentPolicy(db), logger });
    const delivered: string[] = [];
    const violations: AgentEvent[] = [];
    await (await bus.subscribe('#', (e) => void (e.type === 'violation.detected' ? violations.push(e) : delivered.push(taskIdOf(e)!)), { name: 'guarded', verify: 'require', fromBeginning: false })).ready();

    const producer = world.topics.kafka.producer();
    await producer.connect();
    const before = await legitimateEvent(codec, keys.alice, 'legit-before');
    await producer.send({ topic: before.topic, messages: [before.message] });
    for (const attack of attacks) await producer.send({ topic: attack.topic, messages: [attack.message] });
    const after = await legitimateEvent(codec, keys.bob, 'legit-after');
    await producer.send({ topic: after.topic, messages: [after.message] });
    await producer.disconnect();

    await wait(() => delivered, (d) => d.includes('legit-after') && d.includes('legit-before'), 'the signed events around the attacks');
    expect(delivered.filter((id) => id.startsWith('legit-')).sort()).toEqual(['legit-after', 'legit-before']);
    expect(delivered.filter((id) => id.startsWith('bus-'))).toEqual([]);

    const dead = await wait(() => world.deadLetters.list(), (d) => d.length >= attacks.length, 'a dead letter per attack');
    const codeByTask = new Map(dead.map((d) => [String(d.key), d.code]));
    for (const attack of attacks) expect([attack.name, codeByTask.get(String(attack.message.key))]).toEqual([attack.name, attack.code]);
    expect(dead).toHaveLength(attacks.length);

    // The reports are signed by the reader and allowed, so they reach a verifying subscriber too.
    await wait(() => violations, (v) => v.length === attacks.length, 'a violation.detected per attack');
    const reported = new Map<string, number>();
    for (const v of violations) {
      const { agentId, evidence } = v.payload as { agentId: string; evidence: string };
      const key = `${agentId} ${JSON.parse(evidence).code}`;
      reported.set(key, (reported.get(key) ?? 0) + 1);
    }
    const expected = new Map<string, number>();
    for (const a of attacks) expected.set(`${a.offender} ${a.code}`, (expected.get(`${a.offender} ${a.code}`) ?? 0) + 1);
    expect(reported).toEqual(expected);
    expect(violations.every((v) => v.source === reader.did)).toBe(true);
  });

  it('reads v4 batch signatures (readers before writers): each group proven by its carrier, a member without one refused', async () => {
    const verifying = await world.bus('v4-reader', { policy: postgresAgentPolicy(db), logger });
    const seen: string[] = [];
    await (await verifying.subscribe('task.created', (event) => void seen.push(taskIdOf(event)!), { name: 'v4', verify: 'require', fromBeginning: false })).ready();
    const codec = new AvroEventCodec({ registry: createRegistryClient(world.connection.registry), catalog: loadSchemaCatalog(), topicPrefix: world.topics.prefix });
    const encode = (taskIds: string[]) => Promise.all(taskIds.map((taskId) => codec.encode({ ...published(taskId), source: keys.alice.did })));
    const groups = [await encode(['v4-a0', 'v4-a1', 'v4-a2']), await encode(['v4-b0', 'v4-b1'])];
    const headers = signRecordGroups(keys.alice, groups.map((g) => g.map((e) => ({ topic: e.topic, routingKey: e.event.routingKey, value: e.value }))));
    // A member sent without the rest of its group: its carrier is not where it says.
    const orphanGroup = await encode(['v4-orphan', 'v4-orphan-carrier']);
    const [orphanHeaders] = signRecordGroups(keys.alice, [orphanGroup.map((e) => ({ topic: e.topic, routingKey: e.event.routingKey, value: e.value }))]);
    const message = (e: (typeof orphanGroup)[number], signature: Buffer) => ({ key: e.event.id, value: e.value, headers: { 'agentbus-routing-key': e.event.routingKey, [signatureHeader]: signature } });
    const producer = world.topics.kafka.producer();
    await producer.connect();
    const topic = groups[0]![0]!.topic;
    await producer.send({ topic, messages: [message(orphanGroup[0]!, orphanHeaders![0]!)].map((m) => ({ ...m, partition: 0 })) });
    await producer.sendBatch({ topicMessages: groups.map((g, p) => ({ topic, messages: g.map((e, i) => ({ ...message(e, headers[p]![i]!), partition: p })) })) });
    await producer.disconnect();
    await wait(() => seen, (s) => s.length === 5, 'the two v4 groups');
    expect([...seen].sort()).toEqual(['v4-a0', 'v4-a1', 'v4-a2', 'v4-b0', 'v4-b1']);
    const orphanKey = orphanGroup[0]!.event.id;
    const dead = await wait(() => world.deadLetters.list(), (d) => d.some((l) => String(l.key) === orphanKey && l.subscription.includes('v4')), 'the orphan dead-lettered');
    const orphan = dead.filter((l) => (String(l.key) === orphanKey || String(l.key).startsWith('v4-')) && l.subscription.includes('v4'));
    expect(orphan.map((l) => [String(l.key), l.code])).toEqual([[orphanKey, 'SIGNATURE_INVALID']]);
    expect(orphan[0]!.reason).toMatch(/carrier, the record at offset \d+ of partition 0, which was not read with it/);
    await verifying.close();
  });

  it('dead-letters a v4 member with its carrier attached, so the letter verifies alone and, re-published, is taken again', async () => {
    const bus = await world.bus('dl-signer', { signingKey: keys.alice });
    const verifying = await world.bus('dl-reader', { policy: postgresAgentPolicy(db), logger });
    const handled: string[] = [];
    let fail = true;
    const handler = (event: AgentEvent) => {
      const { description } = event.payload as { description: string };
      if (description === 'boom' && fail) throw new Error('boom, once');
      handled.push(description);
    };
    await (await verifying.subscribe('task.created', handler, { name: 'carrier-dl', verify: 'require', fromBeginning: false, retry: { maxAttempts: 1 } })).ready();
    // One key, so one partition: a group of three whose middle record is a member.
    await bus.publishMany(['first', 'boom', 'last'].map((description) => ({ type: 'task.created', source: 'w', payload: { taskId: 'dl-shared', description, priority: 'normal' } })));
    await wait(() => handled, (h) => h.length === 2, 'the two records that do not fail');
    const ours = (d: { subscription: string }) => d.subscription.includes('carrier-dl');
    const [letter] = await wait(() => world.deadLetters.list({ where: ours }), (d) => d.length === 1, 'the dead letter');
    const signature = letter!.rawHeaders[signatureHeader] as Buffer;
    const carrier = letter!.rawHeaders[carrierHeaderName] as Buffer;
    expect([signature.length, signature[1], signature[3]]).toEqual([8, 4, 0]);
    expect(Buffer.isBuffer(carrier) && carrier[3]).toBe(1);
    const routingKey = String(letter!.rawHeaders['agentbus-routing-key']);
    expect(verifyRecordSignature({ topic: letter!.sourceTopic, routingKey, value: letter!.value, signature, carrier })).toBe(keys.alice.did);
    expect(() => verifyRecordSignature({ topic: letter!.sourceTopic, routingKey, value: letter!.value, signature })).toThrow(/not read with it/);

    fail = false;
    expect(await world.deadLetters.republish({ where: ours })).toHaveLength(1);
    await wait(() => handled, (h) => h.includes('boom'), 'the re-published member, verified with its attached carrier');
    await verifying.close();
    await bus.close();
  });

  it('refuses a subscription that verifies without a policy, or names an unknown mode, before it starts', async () => {
    const bus = await world.bus('no-policy');
    await expect(bus.subscribe('task.#', () => undefined, { verify: 'require' })).rejects.toMatchObject({ code: 'INVALID_VERIFICATION', message: expect.stringContaining('needs an agent policy') });
    await expect(bus.subscribe('task.#', () => undefined, { verify: 'strict' as 'require' })).rejects.toMatchObject({ code: 'INVALID_VERIFICATION', message: expect.stringContaining('off, warn, require') });
  });

  it('never writes a private key to its logs', async () => {
    await wait(() => logText, (t) => t.includes('SIGNATURE_INVALID'), 'the refusals in the log');
    for (const key of [...Object.values(keys), reader]) {
      const body = key.exportPem().split('\n').slice(1, -2).join('');
      expect(logText).not.toContain(body);
      expect(logText).not.toContain(body.slice(0, 40));
    }
    expect(() => verifyRecordSignature({ topic: 't', routingKey: undefined, value: null, signature: undefined })).toThrow();
  });
});
