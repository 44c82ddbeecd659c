// `npm run demo`: starts the infrastructure, sets up topics and schemas, runs a small swarm of
// agents over real Kafka with Avro through the registry, and prints what happened.
import type { Consumer, Kafka } from 'kafkajs';
import { AvroEventCodec } from '@agentbus/codec';
import { connectionSchema, parseConfig } from '@agentbus/config';
import { causedBy, createEvent, type AgentEvent } from '@agentbus/events';
import { createKafka } from '@agentbus/kafka';
import { createLogger } from '@agentbus/logger';
import { up } from './infra/infra';
import { loadInfraSettings } from './infra/settings';
import { setupTopicsAndSchemas } from './setup';

const TASKS = Number(process.env.DEMO_TASKS ?? 12);
const WORKERS = ['worker-1', 'worker-2', 'worker-3'];
const priorities = ['low', 'normal', 'high', 'critical'] as const;
const domains = ['financial', 'legal', 'research', null];

const t0 = Date.now();
const clock = () => `+${((Date.now() - t0) / 1000).toFixed(2)}s`.padStart(8);
const say = (line: string) => console.log(`${clock()}  ${line}`);

type TaskCreated = { taskId: string; description: string; priority: string; domain: string | null };
type TaskCompleted = { taskId: string; result: { status: string; output: string; metrics: { durationMs: number; tokensUsed: number | null } | null } };

const joined = (consumer: Consumer): Promise<void> => new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));

const startWorker = async (kafka: Kafka, codec: AvroEventCodec, topic: string, name: string): Promise<Consumer> => {
  const consumer = kafka.consumer({ groupId: 'demo-workers', sessionTimeout: 10_000 });
  const producer = kafka.producer({ idempotent: true });
  await Promise.all([consumer.connect(), producer.connect()]);
  await consumer.subscribe({ topic });
  const ready = joined(consumer);
  await consumer.run({
    eachMessage: async ({ message }) => {
      const { event } = await codec.decode(message.value);
      if (event.type !== 'task.created') return;
      const task = event.payload as TaskCreated;
      const started = Date.now();
      await new Promise((r) => setTimeout(r, 20 + Math.random() * 120));
      const completed = createEvent({
        type: 'task.completed',
        source: `did:agent:${name}`,
        ...causedBy(event),
        payload: {
          taskId: task.taskId,
          result: { status: 'success', output: JSON.stringify({ summary: `${task.description}: done` }), metrics: { durationMs: Date.now() - started, tokensUsed: 200 + Math.floor(Math.random() * 800) } },
        },
      });
      const encoded = await codec.encode(completed);
      await producer.send({ topic: encoded.topic, acks: -1, messages: [{ key: task.taskId, value: encoded.value }] });
    },
  });
  consumer.on(consumer.events.STOP, () => void producer.disconnect());
  await ready;
  return consumer;
};

const main = async (): Promise<void> => {
  console.log('agentbus demo: real Kafka + schema registry + Postgres, no Docker\n');
  const settings = loadInfraSettings();
  await up(settings, undefined, (r) => say(`infra   ${r.part.padEnd(8)} ready in ${r.seconds?.toFixed(1)}s  ${r.state?.endpoint}  (${r.state?.mode})`));

  const config = parseConfig(connectionSchema);
  const setup = await setupTopicsAndSchemas(config);
  say(`setup   topics ${setup.topics.join(', ')}${setup.createdTopics.length ? ` (created ${setup.createdTopics.length})` : ' (already there)'}`);
  for (const s of setup.subjects) say(`setup   schema ${s.subject} v${s.version} → id ${s.id} (BACKWARD_TRANSITIVE)`);
  const { codec } = setup;
  const topic = codec.topicFor('task.created');

  const logger = createLogger({ name: 'demo', level: 'error', pretty: false });
  const kafka = createKafka({ ...config.kafka, clientId: 'agentbus-demo' }, logger);
  const runId = Date.now().toString(36);

  const workers = await Promise.all(WORKERS.map((name) => startWorker(kafka, codec, topic, name)));
  say(`agents  ${WORKERS.join(', ')} joined consumer group demo-workers (competing consumers on ${topic})`);

  const created = new Map<string, AgentEvent>();
  const completed = new Map<string, { event: AgentEvent; by: string; latencyMs: number }>();
  let allDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (allDone = resolve));

  const observer = kafka.consumer({ groupId: `demo-observer-${runId}` });
  await observer.connect();
  await observer.subscribe({ topic });
  const observerReady = joined(observer);
  await observer.run({
    eachMessage: async ({ message, partition }) => {
      const { event, schemaId } = await codec.decode(message.value);
      const task = (event.payload as { taskId: string }).taskId;
      if (!task.startsWith(`${runId}-`)) return;
      if (event.type === 'task.created') {
        const p = event.payload as TaskCreated;
        say(`event   task.created    ${task}  priority=${p.priority.padEnd(8)} domain=${String(p.domain).padEnd(9)} p${partition} schema#${schemaId}`);
      } else if (event.type === 'task.completed') {
        const cause = created.get(task);
        const latencyMs = cause ? event.timestamp - cause.timestamp : NaN;
        const metrics = (event.payload as TaskCompleted).result.metrics;
        const by = event.source.replace('did:agent:', '');
        completed.set(task, { event, by, latencyMs });
        say(`event   task.completed  ${task}  by ${by}  ${metrics?.durationMs}ms ${metrics?.tokensUsed} tokens  caused by ${event.metadata.causationId?.slice(-6)} p${partition} schema#${schemaId}`);
        if (completed.size === TASKS) allDone();
      }
    },
  });
  await observerReady;

  const planner = kafka.producer({ idempotent: true });
  await planner.connect();
  for (let i = 1; i <= TASKS; i++) {
    const taskId = `${runId}-t${i}`;
    const event = createEvent({
      type: 'task.created',
      source: 'did:agent:planner',
      payload: { taskId, description: `Task ${i}`, priority: priorities[i % 4]!, domain: domains[i % 4] ?? null, requiredCapability: 'summarise', input: null },
    });
    created.set(taskId, event);
    const encoded = await codec.encode(event);
    await planner.send({ topic: encoded.topic, acks: -1, messages: [{ key: taskId, value: encoded.value }] });
  }
  say(`planner published ${TASKS} task.created events (key = task id, acks=all, idempotent)`);

  const timeout = setTimeout(() => allDone(), 60_000);
  await done;
  clearTimeout(timeout);
  await Promise.all([planner.disconnect(), observer.disconnect(), ...workers.map((w) => w.disconnect())]);

  const byWorker = new Map<string, number>();
  for (const c of completed.values()) byWorker.set(c.by, (byWorker.get(c.by) ?? 0) + 1);
  const latencies = [...completed.values()].map((c) => c.latencyMs).sort((a, b) => a - b);
  const correlated = [...completed.values()].filter((c) => c.event.metadata.correlationId === created.get((c.event.payload as { taskId: string }).taskId)?.id).length;

  console.log('\nWhat happened');
  console.log(`  tasks created / completed : ${created.size} / ${completed.size}`);
  console.log(`  work shared by the group  : ${[...byWorker].map(([w, n]) => `${w}=${n}`).join(', ')}`);
  console.log(`  created → completed       : p50 ${latencies[Math.floor(latencies.length / 2)]} ms, max ${latencies.at(-1)} ms`);
  console.log(`  causation chains intact   : ${correlated}/${completed.size} completions carry their task's correlationId`);
  console.log(`  schemas in the registry   : ${setup.subjects.length} subject versions at ${config.registry.url}`);
  console.log('\nThe infrastructure is still running. Stop it with: npm run infra -- down');
  if (completed.size !== TASKS) throw new Error(`only ${completed.size} of ${TASKS} tasks completed within 60 s`);
};

main().then(
  () => process.exit(0),
  (error: Error) => {
    console.error(`demo failed: ${error.message}`);
    process.exit(1);
  },
);
