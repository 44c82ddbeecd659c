import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { createEvent } from '@agentbus/events';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, createTestTopics, type TestDatabase, type TestTopics } from '@agentbus/testing';
import type { Knex } from 'knex';
import type { Producer } from 'kafkajs';
import { OutboxRelay } from './outboxRelay';
import { appendOutbox, migrateSagaStore, postponeTimers, sagaSchema } from './sagaStore';

jest.setTimeout(60_000);

const logger = createLogger({ name: 'relay-test', level: process.env.LOG_LEVEL ?? 'fatal', pretty: false });

describe('outbox relay (real Kafka and Postgres)', () => {
  let topics: TestTopics;
  let database: TestDatabase;
  let db: Knex;
  let producer: Producer;

  beforeEach(async () => {
    topics = await createTestTopics('relay');
    database = await createTestDatabase('relay', parseConfig(connectionSchema).databaseUrl);
    db = createDatabase({ url: database.url });
    await migrateSagaStore(db);
    producer = topics.kafka.producer({ idempotent: true });
    await producer.connect();
  });

  afterEach(async () => {
    await producer.disconnect();
    await db.destroy();
    await topics.cleanup();
    await database.drop();
  });

  const wakeupOf = async (sagaId: string): Promise<number> => (await db.withSchema(sagaSchema).from('sagas').where({ saga_id: sagaId }).first()).next_wakeup.getTime();

  it("postpones a saga's timers by the time its command waited in the outbox (a take-over), and leaves promptly relayed ones alone", async () => {
    const connection = parseConfig(connectionSchema, { ...process.env, AGENTBUS_TOPIC_PREFIX: topics.prefix });
    const codec = new AvroEventCodec({ registry: createRegistryClient(connection.registry), catalog: loadSchemaCatalog(), topicPrefix: topics.prefix });
    await codec.registerSchemas(['task.assigned']);
    const now = Date.now();
    const deadline = new Date(now + 10_000);
    for (const sagaId of ['late', 'prompt']) {
      await db.withSchema(sagaSchema).table('sagas').insert({ saga_id: sagaId, saga_name: 'order', status: 'running', partition: 0, state: '{}', next_wakeup: deadline, version: 1, created_at: new Date(now), updated_at: new Date(now) });
    }
    const command = (sagaId: string) =>
      createEvent({ type: 'task.assigned', source: 'saga-orchestrator', payload: { taskId: `${sagaId}.reserve.1`, agentId: 'stock-1', assignedBy: 'saga-orchestrator', description: 'reserve', input: '{}', deadline: deadline.getTime() } });
    await db.transaction(async (trx) => {
      // Written 8 s ago by an instance that died before relaying it.
      await appendOutbox(trx, [{ sagaId: 'late', partition: 0, events: [command('late')], causedAt: null }], () => 'late', new Date(now - 8_000));
      await appendOutbox(trx, [{ sagaId: 'prompt', partition: 0, events: [command('prompt')], causedAt: null }], () => 'prompt', new Date(now));
    });

    const relay = new OutboxRelay({ db, producer, codec, logger, ownedPartitions: () => [0] });
    relay.wake();
    await relay.stop();

    expect(await db.withSchema(sagaSchema).from('outbox').count<{ count: string }[]>('* as count')).toEqual([{ count: '0' }]);
    const late = await wakeupOf('late');
    expect(late - deadline.getTime()).toBeGreaterThanOrEqual(8_000);
    expect(late - deadline.getTime()).toBeLessThan(8_000 + 30_000);
    expect(await wakeupOf('prompt')).toBe(deadline.getTime());
  });

  it('stores a group commit\'s outbox of more rows than one statement\'s 65,535 parameters hold, and postpones timers while a transaction holds their sagas', async () => {
    const events = Array.from({ length: 10_000 }, (_, i) =>
      createEvent({ type: 'task.assigned', source: 'saga-orchestrator', payload: { taskId: `s${i}.reserve.1`, agentId: 'stock-1', assignedBy: 'saga-orchestrator', description: 'reserve', input: '{}', deadline: null } }),
    );
    await db.transaction((trx) => appendOutbox(trx, events.map((event, i) => ({ sagaId: `s${i}`, partition: 0, events: [event], causedAt: null })), (e) => e.id, new Date()));
    expect(await db.withSchema(sagaSchema).from('outbox').count<{ count: string }[]>('* as count')).toEqual([{ count: '10000' }]);

    const now = Date.now();
    const ids = ['a', 'b', 'c'];
    await db.withSchema(sagaSchema).table('sagas').insert(ids.map((saga_id) => ({ saga_id, saga_name: 'order', status: 'running', partition: 0, state: '{}', next_wakeup: new Date(now), version: 1, created_at: new Date(now), updated_at: new Date(now) })));
    // A deciding transaction holds the sagas (locked in id order); the postponement waits for it, then applies.
    let release!: () => void;
    let locked!: () => void;
    const held = new Promise<void>((r) => (locked = r));
    const holding = db.transaction(async (trx) => {
      await trx.withSchema(sagaSchema).from('sagas').whereIn('saga_id', ids).orderBy('saga_id').forUpdate();
      locked();
      await new Promise<void>((r) => (release = r));
    });
    await held;
    const postponing = postponeTimers(db, new Map([['c', 5_000], ['a', 5_000]]));
    release();
    await Promise.all([holding, postponing]);
    expect(await wakeupOf('a')).toBe(now + 5_000);
    expect(await wakeupOf('b')).toBe(now);
    expect(await wakeupOf('c')).toBe(now + 5_000);
  });
});
