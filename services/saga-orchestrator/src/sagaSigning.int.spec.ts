import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import type { AgentEvent } from '@agentbus/events';
import { allowAgent, generateSigningKey, migrateIdentity, postgresAgentPolicy } from '@agentbus/identity';
import { requestSaga } from '@agentbus/sagas';
import { logger, sagaWorld, until, type SagaWorld } from './sagaWorld.spec-support';

jest.setTimeout(180_000);

describe('saga orchestrator with its own key and AGENTBUS_VERIFY_SIGNATURES=require (issue 15)', () => {
  let world: SagaWorld;
  const buses: KafkaEventBus[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'agentbus-saga-key-'));
  const orchestratorKey = generateSigningKey();
  const shop = generateSigningKey();

  afterAll(async () => {
    for (const b of buses) await b.close();
    await world?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an unsigned workflow request, runs a signed one, and signs what it emits', async () => {
    world = await sagaWorld('sagasign');
    await migrateIdentity(world.db);
    await allowAgent(world.db, { did: orchestratorKey.did, types: ['#'], name: 'saga-orchestrator' });
    await allowAgent(world.db, { did: shop.did, types: ['workflow.requested'], name: 'shop' });
    writeFileSync(join(dir, 'orchestrator.key'), orchestratorKey.exportPem(), { mode: 0o600 });

    const connection = parseConfig(connectionSchema, { ...process.env, ...world.env });
    const verified: AgentEvent[] = [];
    const checker = createKafkaEventBus({ connection, service: 'saga-sign-check', logger, policy: postgresAgentPolicy(world.db), consumer: { maxWaitTimeInMs: 100 } });
    buses.push(checker);
    await (await checker.subscribe('saga.started', (e) => void verified.push(e), { name: 'verified-starts', verify: 'require' })).ready();

    const orchestrator = await world.spawn('services/saga-orchestrator/src/main.ts', 'saga orchestrator running', { AGENTBUS_SIGNING_KEY_FILE: join(dir, 'orchestrator.key'), AGENTBUS_VERIFY_SIGNATURES: 'require' });
    expect(orchestrator.output()).toContain(orchestratorKey.did);
    expect(orchestrator.output()).not.toContain(orchestratorKey.exportPem().split('\n')[1]!.slice(0, 40));

    await world.requestOrder('unsigned-1', 40);
    const shopBus = createKafkaEventBus({ connection, service: 'shop', logger, signingKey: shop });
    buses.push(shopBus);
    await requestSaga(shopBus, { sagaId: 'signed-1', sagaName: 'order', input: { orderId: 'order-signed-1', items: [{ sku: 'sku-1', quantity: 1 }], amount: 40 }, requestedBy: 'shop' });

    await until(async () => verified.some((e) => (e.payload as { sagaId: string }).sagaId === 'signed-1'), 60_000, () => `a verified saga.started; orchestrator: ${orchestrator.output().slice(-1500)}`);
    expect(verified.find((e) => (e.payload as { sagaId: string }).sagaId === 'signed-1')!.source).toBe(orchestratorKey.did);
    const dead = await world.bus.deadLetters.list();
    await until(async () => (await world.bus.deadLetters.list()).some((d) => d.code === 'EVENT_UNSIGNED'), 30_000, () => `the unsigned request dead-lettered; saw ${JSON.stringify(dead.map((d) => d.code))}`);
    expect(await world.statusOf('unsigned-1')).toBeUndefined();
    expect(world.seen.some((e) => e.type === 'violation.detected' && (e.payload as { violation: string }).violation === 'event_unsigned')).toBe(true);
  });
});
