import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import type { AgentEvent } from '@agentbus/events';
import { createLogger } from '@agentbus/logger';
import { requestSaga } from '@agentbus/sagas';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, createTestTopics, spawnService, type ServiceProcess, type TestDatabase, type TestTopics } from '@agentbus/testing';
import type { Knex } from 'knex';

export const logger = createLogger({ name: 'saga-test', level: process.env.LOG_LEVEL ?? 'fatal', pretty: false });
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const until = async (probe: () => Promise<boolean>, timeoutMs: number, what: () => string) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await sleep(250);
  }
};

export interface SagaWorld {
  topics: TestTopics;
  database: TestDatabase;
  env: Record<string, string>;
  bus: KafkaEventBus;
  db: Knex;
  processes: ServiceProcess[];
  seen: AgentEvent[];
  spawn(main: string, ready: string, extra?: Record<string, string>): Promise<ServiceProcess>;
  requestOrder(sagaId: string, amount: number): Promise<AgentEvent>;
  statusOf(sagaId: string): Promise<string | undefined>;
  journal(): Promise<{ order_id: string; op: string; agent_id: string; n: number }[]>;
  /** Waits until read.agents lists `count` online agents; on timeout says what it saw and what the projector said. */
  agentsOnline(count: number): Promise<void>;
  close(): Promise<void>;
}

/** Topics, a database, a bus that records every event, and helpers to run services as processes. */
export const sagaWorld = async (label: string, directory: 'presence' | 'read-model' = 'read-model'): Promise<SagaWorld> => {
  const topics = await createTestTopics(label);
  const database = await createTestDatabase(label, parseConfig(connectionSchema).databaseUrl);
  const env = { AGENTBUS_TOPIC_PREFIX: topics.prefix, DATABASE_URL: database.url, PROJECTOR_HTTP_PORT: '0', SAGA_ORCHESTRATOR_HTTP_PORT: '0', SAGA_AGENT_DIRECTORY: directory, PRESENCE_MONITOR_HTTP_PORT: '0', SAGA_ORCHESTRATOR_SESSION_TIMEOUT_MS: '6000', PROJECTOR_SESSION_TIMEOUT_MS: '6000', LOG_LEVEL: 'info' };
  const bus = createKafkaEventBus({ connection: parseConfig(connectionSchema, { ...process.env, ...env }), service: 'saga-test', logger, consumer: { maxWaitTimeInMs: 100 } });
  await bus.registerSchemas();
  const db = createDatabase({ url: database.url });
  const seen: AgentEvent[] = [];
  const recorder = await bus.subscribe('#', (e) => void seen.push(e), { name: 'recorder', maxInFlight: 100_000 });
  await recorder.ready();
  const processes: ServiceProcess[] = [];
  return {
    topics,
    database,
    env,
    bus,
    db,
    processes,
    seen,
    spawn: async (main, ready, extra = {}) => {
      const p = spawnService(main, { ...env, ...extra });
      processes.push(p);
      await until(async () => p.output().includes(ready), 90_000, () => `${main} to start; output: ${p.output().slice(-800)}`);
      return p;
    },
    requestOrder: async (sagaId, amount) =>
      (await requestSaga(bus, { sagaId, sagaName: 'order', input: { orderId: `order-${sagaId}`, items: [{ sku: 'sku-1', quantity: 1 }], amount }, requestedBy: 'did:agent:test' })).event,
    statusOf: async (sagaId) => (await db.withSchema('saga_orchestrator').from('sagas').where({ saga_id: sagaId }).first())?.status,
    journal: async () =>
      (await db.raw(`select order_id, op, min(agent_id) as agent_id, count(*)::int as n from order_agent_journal group by order_id, op order by order_id, min(at)`)).rows,
    agentsOnline: async (count) => {
      let last: unknown;
      await until(
        async () => {
          last = (await db.raw(`select agent_id, state from read.agents order by agent_id`)).rows;
          return (last as { state: string }[]).filter((r) => r.state === 'online').length === count;
        },
        120_000,
        () => `${count} agents online in read.agents; saw ${JSON.stringify(last)}; projector: ${processes[0]?.output().slice(-1500)}`,
      );
    },
    close: async () => {
      for (const p of processes) await p.kill('SIGKILL');
      await bus.close();
      await db.destroy();
      await topics.cleanup();
      await database.drop();
    },
  };
};

export const agentsMain = 'scripts/demo/orderAgents.ts';
export const projectorMain = 'services/projector/src/main.ts';
export const orchestratorMain = 'services/saga-orchestrator/src/main.ts';
export const presenceMonitorMain = 'services/presence-monitor/src/main.ts';
