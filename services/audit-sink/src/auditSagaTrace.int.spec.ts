import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, createTestTopics, spawnService, type ServiceProcess, type TestDatabase, type TestTopics } from '@agentbus/testing';
import type { Knex } from 'knex';
import { startAuditSink, type RunningAuditSink } from './auditSinkService';
import { loadAuditSinkConfig } from './config';
import { agentbusCli, until } from './auditTesting.spec-support';

const logger = createLogger({ name: 'audit-saga-test', level: process.env.LOG_LEVEL ?? 'fatal', pretty: false });
jest.setTimeout(300_000);

interface Node {
  eventId: string;
  type: string;
  source: string;
  sinceStartMs: number;
  sinceCauseMs: number | null;
  missingCause?: string;
  children: Node[];
}

const flatten = (n: Node, depth = 0): { node: Node; depth: number }[] => [{ node: n, depth }, ...n.children.flatMap((c) => flatten(c, depth + 1))];

describe('trace of a real saga run (the saga orchestrator, the order agents and the projector as processes)', () => {
  let topics: TestTopics;
  let database: TestDatabase;
  let bus: KafkaEventBus;
  let db: Knex;
  let sink: RunningAuditSink | undefined;
  const processes: ServiceProcess[] = [];

  afterAll(async () => {
    for (const p of processes) await p.kill('SIGKILL');
    await sink?.stop();
    await bus?.close();
    await db?.destroy();
    await topics?.cleanup();
    await database?.drop();
  });

  it('shows the whole causation tree of one order saga, from workflow.requested to saga.completed, with the agents that did each step', async () => {
    topics = await createTestTopics('audit-saga');
    database = await createTestDatabase('audit_saga', parseConfig(connectionSchema).databaseUrl);
    const env = { AGENTBUS_TOPIC_PREFIX: topics.prefix, DATABASE_URL: database.url, PROJECTOR_HTTP_PORT: '0', SAGA_ORCHESTRATOR_HTTP_PORT: '0', SAGA_AGENT_DIRECTORY: 'read-model', AUDIT_SINK_HTTP_PORT: '0', LOG_LEVEL: 'info' };
    bus = createKafkaEventBus({ connection: parseConfig(connectionSchema, { ...process.env, ...env }), service: 'audit-saga-test', logger });
    await bus.registerSchemas();
    db = createDatabase({ url: database.url });
    sink = await startAuditSink(loadAuditSinkConfig({ ...process.env, ...env }), logger);
    const spawn = async (main: string, ready: string, extra: Record<string, string> = {}) => {
      const p = spawnService(main, { ...env, ...extra });
      processes.push(p);
      await until(async () => p.output().includes(ready), 90_000, `${main} to start; output: ${p.output().slice(-800)}`);
    };
    await spawn('services/projector/src/main.ts', 'projector running');
    await spawn('scripts/demo/orderAgents.ts', 'order agents ready', { ORDER_AGENTS_SUFFIX: 'a' });
    await until(async () => Number((await db.raw(`select count(*)::int as n from read.agents where state = 'online'`)).rows[0].n) === 3, 90_000, 'the order agents online in read.agents');
    await spawn('services/saga-orchestrator/src/main.ts', 'saga orchestrator running');

    const request = await bus.publish({ type: 'workflow.requested', source: 'did:agent:shop', payload: { sagaId: 'audit-1', sagaName: 'order', input: JSON.stringify({ orderId: 'order-audit-1', items: [{ sku: 'sku-1', quantity: 1 }], amount: 50 }), requestedBy: 'shop' } });
    const correlationId = request.metadata.correlationId!;
    const stored = async (type: string) => Number((await db.raw('select count(*)::int as n from audit.records where correlation_id = ? and type = ?', [correlationId, type])).rows[0].n);
    await until(async () => (await stored('saga.completed')) === 1, 120_000, 'saga.completed in the audit trail');
    await new Promise((r) => setTimeout(r, 1500));

    const run = await agentbusCli(env, 'trace', correlationId, '--json');
    expect(run.code).toBe(0);
    const tree = JSON.parse(run.stdout) as { events: number; agents: string[]; roots: Node[] };
    const inTrail = Number((await db.raw(`select count(distinct event_id)::int as n from audit.records where correlation_id = ? and topic <> ?`, [correlationId, `${topics.prefix}.dlq`])).rows[0].n);
    // One tree: everything the saga did hangs under the request, nothing is orphaned.
    expect(tree.roots).toHaveLength(1);
    expect(tree.roots[0]).toMatchObject({ eventId: request.id, type: 'workflow.requested', source: 'did:agent:shop' });
    const all = flatten(tree.roots[0]!);
    expect(all).toHaveLength(inTrail);
    expect(tree.events).toBe(inTrail);
    expect(all.filter(({ node }) => node.missingCause)).toEqual([]);
    const types = all.map(({ node }) => node.type);
    for (const type of ['saga.started', 'saga.step.dispatched', 'saga.step.completed', 'task.assigned', 'task.completed', 'saga.completed']) expect(types).toContain(type);
    expect(types.filter((t) => t === 'saga.step.completed')).toHaveLength(4);
    expect(tree.agents).toEqual(expect.arrayContaining(['did:agent:shop', 'orders-a', 'stock-a', 'pay-a']));
    // Each step completes after it was dispatched, deeper in the tree, and every child after its cause.
    const completed = all.find(({ node }) => node.type === 'saga.completed')!;
    expect(completed.depth).toBeGreaterThan(4);
    for (const { node } of all) for (const child of node.children) expect(child.sinceStartMs).toBeGreaterThanOrEqual(node.sinceStartMs);

    const text = await agentbusCli(env, 'trace', correlationId);
    expect(text.stdout).toContain(`workflow ${correlationId}: ${inTrail} events`);
    expect(text.stdout).toMatch(/saga\.completed {2}by /);
  });
});
