// The order saga's agents as one process: orders, inventory and payments, each an EventDrivenAgent
// that announces its capability. Every command is journaled in Postgres by its event id, so a command
// relayed twice is done once, and tests can count what really ran.
import { createKafkaEventBus, EventDrivenAgent, startPresence, type TaskAssignedEvent } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { AgentbusError, type TaskAssignedPayload } from '@agentbus/events';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';

const connection = parseConfig(connectionSchema);
const logger = createLogger({ name: 'order-agents', level: process.env.LOG_LEVEL ?? 'warn' });
const failAbove = Number(process.env.ORDER_AGENTS_DECLINE_ABOVE ?? 1000);
const suffix = process.env.ORDER_AGENTS_SUFFIX ?? '1';
const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-order-agents', poolMax: 4 });
const journal = 'order_agent_journal';

class OrderAgent extends EventDrivenAgent {
  protected async execute(task: TaskAssignedPayload, event: TaskAssignedEvent): Promise<{ output: unknown }> {
    const input = JSON.parse(task.input ?? '{}') as { op: string; orderId: string; amount?: number };
    const fresh = await db(journal)
      .insert({ event_id: event.id, task_id: task.taskId, agent_id: this.agentId, op: input.op, order_id: input.orderId, at: new Date() })
      .onConflict('event_id')
      .ignore()
      .returning('event_id');
    if (fresh.length === 0) return { output: { op: input.op, orderId: input.orderId, duplicate: true } };
    if (input.op === 'charge' && (input.amount ?? 0) > failAbove) {
      throw new AgentbusError('PAYMENT_DECLINED', `card declined for ${input.amount} (limit ${failAbove})`, { retriable: false });
    }
    return { output: { op: input.op, orderId: input.orderId, done: true } };
  }
}

const main = async (): Promise<void> => {
  await db.schema.hasTable(journal).then(async (exists) => {
    if (exists) return;
    await db.schema
      .createTable(journal, (t) => {
        t.text('event_id').primary();
        t.text('task_id').notNullable();
        t.text('agent_id').notNullable();
        t.text('op').notNullable();
        t.text('order_id').notNullable();
        t.timestamp('at', { useTz: true }).notNullable();
      })
      .catch(() => undefined);
  });
  const bus = createKafkaEventBus({ connection, service: `order-agents-${suffix}`, logger, consumer: { maxWaitTimeInMs: 100 } });
  const roles = [
    { agentId: `orders-${suffix}`, capability: 'orders' },
    { agentId: `stock-${suffix}`, capability: 'inventory' },
    { agentId: `pay-${suffix}`, capability: 'payments' },
  ];
  const agents = roles.map((r) => new OrderAgent(bus, r.agentId));
  await Promise.all(agents.map((a) => a.start()));
  await Promise.all(agents.map((a) => a.ready()));
  const presences = await Promise.all(roles.map((r) => startPresence(bus, { agentId: r.agentId, agentClass: 'order-demo', capabilities: [r.capability], capacity: () => 100, heartbeatIntervalMs: 5000 })));
  console.log(`order agents ready: ${roles.map((r) => r.agentId).join(', ')}`);
  const stop = async () => {
    await Promise.all(presences.map((p) => p.stop('shutdown').catch(() => undefined)));
    await Promise.all(agents.map((a) => a.stop()));
    await bus.close();
    await db.destroy();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
};

main().catch((error: unknown) => {
  console.error(`order agents failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
