// The demo agents of `docker compose --profile demo`: three workers (orders, inventory, payments)
// that announce themselves with presence heartbeats and do what the saga orchestrator assigns them,
// and a requester that asks for an order saga every DEMO_INTERVAL_MS. Runs until stopped; what it
// causes shows up in the read models, the audit trail and the presence monitor's GET /agents.
import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import { connectionSchema, parseConfigOrExit, parseConfigs } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { createMetricsRegistry, startOpsServer } from '@agentbus/runtime';
import { z } from 'zod';
import { DemoWorker } from '../demo/agents';

const demoSchema = z.object({
  DEMO_HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(9409),
  DEMO_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
  // Every n-th task of the payments worker fails, so some sagas compensate.
  DEMO_FAIL_EVERY: z.coerce.number().int().min(0).default(5),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

const main = async (): Promise<void> => {
  const { own, connection } = parseConfigOrExit(() => parseConfigs({ own: demoSchema, connection: connectionSchema }));
  const logger = createLogger({ name: 'demo-agents', level: own.LOG_LEVEL });
  const buses: KafkaEventBus[] = [];
  const bus = (service: string) => {
    const b = createKafkaEventBus({ connection, service, logger });
    buses.push(b);
    return b;
  };
  const workers = [
    new DemoWorker(bus('demo-orders'), 'demo-orders', ['orders']),
    new DemoWorker(bus('demo-inventory'), 'demo-inventory', ['inventory']),
    new DemoWorker(bus('demo-payments'), 'demo-payments', ['payments'], own.DEMO_FAIL_EVERY),
  ];
  await Promise.all(workers.map((w) => w.join()));
  const requester = bus('demo-requester');
  let requested = 0;
  const ops = await startOpsServer({
    port: own.DEMO_HTTP_PORT,
    registry: createMetricsRegistry('demo-agents'),
    logger,
    health: async () => ({ ok: true, checks: { workers: { ok: true, detail: `${workers.length} joined, ${requested} sagas requested` } } }),
  });
  const timer = setInterval(() => {
    const orderId = `demo-${Date.now().toString(36)}`;
    requested++;
    requester
      .publish({
        type: 'workflow.requested',
        source: 'did:agent:demo-requester',
        payload: { sagaId: orderId, sagaName: 'order', input: JSON.stringify({ orderId, items: [{ sku: 'sku-1', quantity: 1 + (requested % 3) }], amount: 10 * requested }), requestedBy: 'demo-requester' },
      })
      .then(
        () => logger.info({ orderId }, 'order saga requested'),
        (error: unknown) => logger.error({ err: error, orderId }, 'could not request an order saga'),
      );
  }, own.DEMO_INTERVAL_MS);
  logger.info({ workers: workers.map((w) => w.agentId), intervalMs: own.DEMO_INTERVAL_MS }, 'demo agents running');

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    clearInterval(timer);
    await Promise.all(workers.map((w) => w.leave()));
    await Promise.all(buses.map((b) => b.close({ deadlineMs: 10_000 })));
    await ops.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
};

main().catch((error: unknown) => {
  process.stderr.write(`demo agents failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
