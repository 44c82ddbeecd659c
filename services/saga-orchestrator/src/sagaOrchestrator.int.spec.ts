import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import type { AgentEvent } from '@agentbus/events';
import { loadOrchestratorConfig } from './config';
import { startSagaOrchestrator, type RunningOrchestrator } from './sagaOrchestrator';
import { findCapableAgents } from '@agentbus/presence';
import { agentsMain, logger, presenceMonitorMain, projectorMain, sagaWorld, sleep, until, type SagaWorld } from './sagaWorld.spec-support';

jest.setTimeout(240_000);

const sagaEvents = (seen: AgentEvent[], sagaId: string) => seen.filter((e) => e.type.startsWith('saga.') && (e.payload as { sagaId?: string }).sagaId === sagaId);
const steps = (events: AgentEvent[]) =>
  events.map((e) => {
    const p = e.payload as { stepId?: string; phase?: string; status?: string; steps?: string[] };
    return [e.type, p.stepId, p.phase === 'compensation' ? 'undo' : undefined, p.status, e.type === 'saga.started' ? undefined : p.steps?.join('>')].filter(Boolean).join(' ');
  });

// Capability steps are answered as deployed: by the presence monitor's table (SAGA_AGENT_DIRECTORY=presence).
describe('saga orchestrator with agents as separate processes', () => {
  let world: SagaWorld;
  let orchestrator: RunningOrchestrator;

  beforeAll(async () => {
    world = await sagaWorld('saga', 'presence');
    await world.spawn(projectorMain, 'projector running');
    await world.spawn(presenceMonitorMain, 'presence monitor running');
    await world.spawn(agentsMain, 'order agents ready', { ORDER_AGENTS_SUFFIX: 'a', ORDER_AGENTS_DECLINE_ABOVE: '1000' });
    // Other agents in the directory that must never be picked: one without the capability, one gone offline.
    await world.bus.publish({ type: 'agent.online', source: 'translator-1', payload: { agentId: 'translator-1', agentClass: null, capabilities: ['translate'], capacity: 50, specializations: [], heartbeatIntervalMs: 5000 } });
    await world.bus.publish({ type: 'agent.online', source: 'pay-ghost', payload: { agentId: 'pay-ghost', agentClass: null, capabilities: ['payments'], capacity: 50, specializations: [], heartbeatIntervalMs: 5000 } });
    await world.bus.publish({ type: 'agent.offline', source: 'pay-ghost', payload: { agentId: 'pay-ghost', reason: 'scale-in' } });
    const directory = async () =>
      Object.fromEntries(await Promise.all(['orders', 'inventory', 'payments', 'translate'].map(async (c) => [c, (await findCapableAgents(world.db, c)).map((a) => a.agentId)] as const)));
    let last: unknown;
    await until(
      async () => {
        last = await directory();
        return JSON.stringify(last) === JSON.stringify({ orders: ['orders-a'], inventory: ['stock-a'], payments: ['pay-a'], translate: ['translator-1'] });
      },
      120_000,
      () => `the presence monitor to list the agents; last answer ${JSON.stringify(last)}`,
    );
    orchestrator = await startSagaOrchestrator(loadOrchestratorConfig({ ...process.env, ...world.env }), logger);
  });
  afterAll(async () => {
    await orchestrator?.stop();
    await world?.close();
  });

  it('runs the order saga to completion: each step on an agent with its capability, in order', async () => {
    await world.requestOrder('ok-1', 50);
    await until(async () => (await world.statusOf('ok-1')) === 'completed', 60_000, () => 'ok-1 to complete');
    await until(async () => sagaEvents(world.seen, 'ok-1').some((e) => e.type === 'saga.completed'), 20_000, () => 'saga.completed on Kafka');
    expect(steps(sagaEvents(world.seen, 'ok-1'))).toEqual([
      'saga.started',
      'saga.step.dispatched create-order',
      'saga.step.completed create-order',
      'saga.step.dispatched reserve-inventory',
      'saga.step.completed reserve-inventory',
      'saga.step.dispatched process-payment',
      'saga.step.completed process-payment',
      'saga.step.dispatched complete-order',
      'saga.step.completed complete-order',
      'saga.completed',
    ]);
    expect((await world.journal()).filter((j) => j.order_id === 'order-ok-1').map((j) => [j.op, j.agent_id, j.n])).toEqual([
      ['create', 'orders-a', 1],
      ['reserve', 'stock-a', 1],
      ['charge', 'pay-a', 1],
      ['complete', 'orders-a', 1],
    ]);
    const request = world.seen.find((e) => e.type === 'workflow.requested' && (e.payload as { sagaId: string }).sagaId === 'ok-1')!;
    for (const e of world.seen.filter((x) => x.metadata.correlationId === request.metadata.correlationId && x.id !== request.id)) expect(e.metadata.causationId).toBeDefined();
  });

  it('fails at payment and compensates in reverse: release inventory, then cancel the order', async () => {
    await world.requestOrder('declined-1', 5000);
    await until(async () => (await world.statusOf('declined-1')) === 'failed', 60_000, () => 'declined-1 to fail');
    await until(async () => sagaEvents(world.seen, 'declined-1').some((e) => e.type === 'saga.failed'), 20_000, () => 'saga.failed on Kafka');
    expect(steps(sagaEvents(world.seen, 'declined-1'))).toEqual([
      'saga.started',
      'saga.step.dispatched create-order',
      'saga.step.completed create-order',
      'saga.step.dispatched reserve-inventory',
      'saga.step.completed reserve-inventory',
      'saga.step.dispatched process-payment',
      'saga.step.failed process-payment',
      'saga.compensating reserve-inventory>create-order',
      'saga.step.dispatched reserve-inventory undo',
      'saga.step.completed reserve-inventory undo',
      'saga.step.dispatched create-order undo',
      'saga.step.completed create-order undo',
      'saga.compensated reserve-inventory>create-order',
      'saga.failed failed',
    ]);
    expect((await world.journal()).filter((j) => j.order_id === 'order-declined-1').map((j) => [j.op, j.n])).toEqual([
      ['create', 1],
      ['reserve', 1],
      ['charge', 1],
      ['release', 1],
      ['cancel', 1],
    ]);
  });

  it('capability-based assignment picks only online agents with that capability', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => `cap-${i}`);
    for (const id of ids) await world.requestOrder(id, 10);
    await until(async () => (await Promise.all(ids.map((id) => world.statusOf(id)))).every((s) => s === 'completed'), 90_000, () => 'the sagas to complete');
    const assigned = world.seen.filter((e) => e.type === 'task.assigned' && ids.some((id) => (e.payload as { taskId: string }).taskId.startsWith(`${id}.`)));
    expect(assigned).toHaveLength(24);
    const byCapability = new Map<string, Set<string>>();
    for (const e of assigned) {
      const p = e.payload as { agentId: string; requiredCapability: string };
      byCapability.set(p.requiredCapability, new Set([...(byCapability.get(p.requiredCapability) ?? []), p.agentId]));
    }
    expect(Object.fromEntries([...byCapability].map(([c, a]) => [c, [...a]]))).toEqual({ orders: ['orders-a'], inventory: ['stock-a'], payments: ['pay-a'] });
  });

  it('records a duplicate workflow.requested and a redelivered completion without acting on them', async () => {
    const first = await world.requestOrder('dup-1', 20);
    await until(async () => (await world.statusOf('dup-1')) === 'completed', 60_000, () => 'dup-1 to complete');
    await world.requestOrder('dup-1', 20);
    const completion = world.seen.find((e) => e.type === 'task.completed' && (e.payload as { taskId: string }).taskId.startsWith('dup-1.create-order'))!;
    await world.bus.publish(completion);
    await until(async () => sagaEvents(world.seen, 'dup-1').filter((e) => e.type === 'saga.event_ignored').length === 1, 20_000, () => 'the ignored duplicate');
    await sleep(1500);
    expect(sagaEvents(world.seen, 'dup-1').filter((e) => e.type === 'saga.event_ignored').map((e) => (e.payload as { reason: string }).reason)).toEqual(['finished']);
    expect((await world.journal()).filter((j) => j.order_id === 'order-dup-1').every((j) => j.n === 1)).toBe(true);
    expect(first.id).toBeDefined();
    const base = `http://127.0.0.1:${orchestrator.ops.port}`;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/saga_finished_total\{[^}]*status="completed"[^}]*\} \d+/);
  });

  it('the projector keeps each saga\'s status and timeline in read.sagas, readable by the analyst, and agentbus saga show prints it', async () => {
    const cli = (...args: string[]) => spawnSync(process.execPath, [resolve(__dirname, '..', '..', 'cli', 'bin', 'agentbus.js'), ...args], { env: { ...process.env, ...world.env, LOG_LEVEL: 'error' }, encoding: 'utf8', timeout: 60_000 });
    const started = cli('saga', 'start', 'order', '--id', 'cli-1', '--input', JSON.stringify({ orderId: 'o-cli', items: [{ sku: 'a', quantity: 1 }], amount: 7000 }), '--json');
    expect(started.status).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({ sagaId: 'cli-1', sagaName: 'order' });
    const asAnalyst = async (sql: string, bindings: string[]) =>
      world.db.transaction(async (trx) => {
        await trx.raw('set local role agentbus_analyst');
        return (await trx.raw(sql, bindings)).rows;
      });
    await until(async () => (await asAnalyst(`select status from read.sagas where saga_id = ?`, ['cli-1']))[0]?.status === 'failed', 60_000, () => 'read.sagas to show cli-1 failed');
    const timeline = await asAnalyst(`select type, step_id, phase from read.saga_timeline where saga_id = ? order by occurred_at, event_id`, ['cli-1']);
    expect(timeline.filter((t: { phase: string }) => t.phase === 'compensation').map((t: { type: string; step_id: string }) => `${t.type} ${t.step_id}`)).toEqual([
      'saga.step.dispatched reserve-inventory',
      'saga.step.completed reserve-inventory',
      'saga.step.dispatched create-order',
      'saga.step.completed create-order',
    ]);
    const shown = cli('saga', 'show', 'cli-1');
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain('saga cli-1 (order): failed');
    expect(shown.stdout).toMatch(/failed at process-payment: card declined/);
    expect(shown.stdout).toMatch(/step\.dispatched\s+create-order \(undo\)\s+orders-a/);
    expect(JSON.parse(cli('saga', 'show', 'cli-1', '--json').stdout).timeline.length).toBe(timeline.length);
    expect(cli('saga', 'show', 'nope').status).toBe(3);
    expect(cli('saga', 'start', 'order', '--input', '{not json').status).toBe(2);
  });
});
