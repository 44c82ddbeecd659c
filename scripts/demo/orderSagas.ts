// The order saga scene of `npm run demo`: the saga orchestrator and the order agents run as their
// own processes; a few orders go through, one is declined at payment and compensated in reverse.
import type { KafkaEventBus } from '@agentbus/bus';
import { findCapableAgents } from '@agentbus/presence';
import { spawnService, type ServiceProcess } from '@agentbus/testing';
import type { Knex } from 'knex';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const waitFor = async (p: ServiceProcess, line: string, what: string): Promise<void> => {
  const started = Date.now();
  while (!p.output().includes(line)) {
    if (p.child.exitCode !== null || Date.now() - started > 60_000) throw new Error(`${what} did not start:\n${p.output().slice(-2000)}`);
    await sleep(100);
  }
};

export interface OrderSagaServices {
  orchestrator: ServiceProcess;
  agents: ServiceProcess;
  stop(): Promise<void>;
}

/** The orchestrator picks agents by capability from the presence monitor's table, as deployed. */
export const startOrderSagaServices = async (say: (line: string) => void): Promise<OrderSagaServices> => {
  const orchestrator = spawnService('services/saga-orchestrator/src/main.ts', { SAGA_ORCHESTRATOR_HTTP_PORT: '0', SAGA_AGENT_DIRECTORY: 'presence', LOG_LEVEL: 'info' });
  await waitFor(orchestrator, 'saga orchestrator running', 'the saga orchestrator');
  const agents = spawnService('scripts/demo/orderAgents.ts', { ORDER_AGENTS_SUFFIX: 'demo', ORDER_AGENTS_DECLINE_ABOVE: '1000', LOG_LEVEL: 'warn' });
  await waitFor(agents, 'order agents ready', 'the order agents');
  say(`service  saga-orchestrator running (pid ${orchestrator.child.pid}): outbox + relay + timers in Postgres; order agents orders-demo, stock-demo, pay-demo (pid ${agents.child.pid})`);
  return {
    orchestrator,
    agents,
    stop: async () => {
      await agents.kill('SIGTERM');
      await orchestrator.kill('SIGTERM');
    },
  };
};

const orders = [
  { orderId: 'book', amount: 35 },
  { orderId: 'lamp', amount: 120 },
  { orderId: 'piano', amount: 8000 },
  { orderId: 'pens', amount: 9 },
];

/** Runs the orders, waits for each saga's end state in read.sagas, and prints the declined one's timeline. */
export const runOrderSagas = async (bus: KafkaEventBus, db: Knex, say: (line: string) => void): Promise<{ lines: string[]; problem?: string }> => {
  const capable = async () => (await Promise.all(['orders', 'inventory', 'payments'].map((c) => findCapableAgents(db, c)))).every((a) => a.length > 0);
  const discoveredBy = Date.now() + 30_000;
  while (!(await capable().catch(() => false)) && Date.now() < discoveredBy) await sleep(200);
  const run = Date.now().toString(36);
  const ids = orders.map((o) => `order-${o.orderId}-${run}`);
  await bus.publishMany(
    orders.map((o, i) => ({
      type: 'workflow.requested',
      source: 'did:agent:shop',
      payload: { sagaId: ids[i]!, sagaName: 'order', input: JSON.stringify({ orderId: `${o.orderId}-${run}`, items: [{ sku: o.orderId, quantity: 1 }], amount: o.amount }), requestedBy: 'did:agent:shop' },
    })),
  );
  say(`shop     requested ${orders.length} order sagas (create → reserve → pay → complete); the piano (${orders[2]!.amount}) will be declined at payment`);
  const statuses = async () => (await db.raw(`select saga_id, status from read.sagas where saga_id = any(?)`, [ids])).rows as { saga_id: string; status: string }[];
  const endBy = Date.now() + 60_000;
  while ((await statuses()).filter((s) => ['completed', 'failed', 'failed_compensation'].includes(s.status)).length < ids.length && Date.now() < endBy) await sleep(200);
  const ended = new Map((await statuses()).map((s) => [s.saga_id, s.status]));
  const declined = ids[2]!;
  const timeline = (await db.raw(`select type, step_id, phase, agent_id from read.saga_timeline where saga_id = ? order by occurred_at, event_id`, [declined])).rows as { type: string; step_id: string | null; phase: string | null; agent_id: string | null }[];
  const lines = [
    '\nOrder sagas (read.sagas, projected from the orchestrator\'s saga.* events)',
    ...ids.map((id, i) => `  ${id.padEnd(28)} amount ${String(orders[i]!.amount).padStart(5)}  ${ended.get(id) ?? 'still running'}`),
    `  the declined order, as agentbus saga show ${declined} prints it:`,
    ...timeline.map((t) => `    ${t.type.replace(/^saga\./, '').padEnd(16)} ${(t.step_id ?? '').padEnd(18)} ${t.phase === 'compensation' ? 'undo' : '    '} ${t.agent_id ?? ''}`),
  ];
  const expected = ids.map((id, i) => [id, orders[i]!.amount > 1000 ? 'failed' : 'completed']);
  const problem = expected.some(([id, status]) => ended.get(id!) !== status) ? `order sagas ended ${JSON.stringify(Object.fromEntries(ended))}, expected ${JSON.stringify(Object.fromEntries(expected))}` : undefined;
  return { lines, ...(problem ? { problem } : {}) };
};
