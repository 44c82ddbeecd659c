import type { Kafka, Producer } from 'kafkajs';
import type { Knex } from 'knex';
import { Counter, Gauge, Histogram } from 'prom-client';
import { Headers, PartitionSigner } from '@agentbus/bus';
import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { PartitionConsumer, type ConsumerTarget, type Rejection } from '@agentbus/consumer';
import { AgentbusError, deadLetterTopicSuffix, topicName, type AgentEvent, type WorkflowRequestedPayload } from '@agentbus/events';
import { createKafka, keyHashPartitioner } from '@agentbus/kafka';
import type { Logger } from '@agentbus/logger';
import { createDatabase, offsetKey, readOffsets } from '@agentbus/postgres-sink';
import { defaultRetryPolicy, retry } from '@agentbus/retry';
import { consumerHealth, consumerLatencyMetrics, createMetricsRegistry, serveOps, serviceIdentity, type OpsServer } from '@agentbus/runtime';
import { builtInSagas, compileSaga, type AgentDirectory, type AgentSnapshot, type SagaDefinition } from '@agentbus/sagas';
import { CachedDirectory, capabilitiesOf, presenceDirectory, readModelDirectory } from './agentDirectories';
import type { OrchestratorConfig } from './config';
import { BacklogGate, type AssignedPartitions } from './backlogGate';
import { OutboxRelay, type RelayTiming } from './outboxRelay';
import { coPartitionedAssigner } from './partitioning';
import { sagaDecisions, type Routed } from './sagaDecisions';
import { outcomeCategories, sagaRouter } from './sagaRouter';
import { migrateSagaStore, sagaSchema, type OutboxRow } from './sagaStore';
import { SagaTimers } from './sagaTimers';

export { orchestratorSource } from './sagaDecisions';

export interface SagaOrchestratorOptions {
  definitions?: readonly SagaDefinition[];
  directory?: AgentDirectory;
  now?: () => number;
  /** Called with each command the relay published and the latency from the event that caused it. */
  onDispatched?: (command: AgentEvent, latencyMs: number) => void;
  /** The ops server runService already listens on; without one the orchestrator starts its own. */
  ops?: OpsServer;
}

export interface RunningOrchestrator {
  ops: OpsServer;
  db: Knex;
  ownedPartitions(): number[];
  stop(): Promise<void>;
}

export class UnknownSagaError extends AgentbusError {
  constructor(sagaName: string, known: readonly string[]) {
    super('SAGA_UNKNOWN', `workflow.requested names saga "${sagaName}", which this orchestrator does not define; it knows ${known.join(', ')}`, { context: { sagaName } });
    this.name = 'UnknownSagaError';
  }
}

/**
 * Runs sagas durably. One partition consumer reads the saga topic (start events keyed by saga id)
 * and the topics outcomes arrive on; a co-partitioned assignment gives one instance partition p of
 * all of them, so it alone owns the sagas of p. Each batch is one Postgres transaction holding the
 * saga state, the inbox of handled event ids, the outbox of events to publish and the consumer's
 * positions; the relay sends the outbox afterwards and timers fire from `next_wakeup`, stored in
 * the same row. The pieces: sagaRouter (which events matter, to which saga), sagaDecisions (the
 * store's write side around the pure decider), sagaTimers and the outbox relay.
 */
export const startSagaOrchestrator = async (config: OrchestratorConfig, logger: Logger, options: SagaOrchestratorOptions = {}): Promise<RunningOrchestrator> => {
  const { connection } = config;
  const now = options.now ?? Date.now;
  const definitions = new Map((options.definitions ?? builtInSagas).map((d) => [d.name, d as SagaDefinition]));
  const capabilityNeeds = [...definitions.values()].flatMap(capabilitiesOf);

  // Group commit: one transaction for the consumed batches at a time; the agent directory, the relay, the timers,
  // positioning and the passed-over positions need theirs.
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-saga-orchestrator', poolMax: 6, logger });
  await migrateSagaStore(db);
  const { verifier, signingKey } = await serviceIdentity(config.identity, db, logger);
  const directory = new CachedDirectory(options.directory ?? (config.agentDirectory === 'presence' ? presenceDirectory(db) : readModelDirectory(db)), (error, capability) =>
    logger.warn({ err: error, capability, directory: config.agentDirectory }, 'the agent directory did not answer; no agent for this capability until it does'),
  );
  const agents = async (at: number): Promise<AgentSnapshot> => (capabilityNeeds.length > 0 ? directory.snapshot(capabilityNeeds, at) : { findCapableAgents: () => [] });

  const registry = createMetricsRegistry('saga_orchestrator');
  const started = new Counter({ name: 'saga_started_total', help: 'Sagas started', labelNames: ['saga'], registers: [registry] });
  const finished = new Counter({ name: 'saga_finished_total', help: 'Sagas that reached an end state', labelNames: ['saga', 'status'], registers: [registry] });
  const handled = new Counter({ name: 'saga_events_total', help: 'Events applied to sagas', labelNames: ['type'], registers: [registry] });
  const ignored = new Counter({ name: 'saga_events_ignored_total', help: 'Duplicate, late or unexpected events recorded and not acted on', registers: [registry] });
  const rejected = new Counter({ name: 'saga_events_dead_lettered_total', help: 'Events sent to the dead-letter topic', registers: [registry] });
  const timersFired = new Counter({ name: 'saga_timers_fired_total', help: 'Sagas woken by a deadline or retry time', registers: [registry] });
  const published = new Counter({ name: 'saga_outbox_published_total', help: 'Outbox events published to Kafka', registers: [registry] });
  const dbErrors = new Counter({ name: 'saga_database_errors_total', help: 'Transactions retried because Postgres was unavailable', registers: [registry] });
  const dispatchLatency = new Histogram({ name: 'saga_dispatch_latency_seconds', help: 'From the event that completed a step to the next command published', buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1], registers: [registry] });
  const relayPhase = new Histogram({ name: 'saga_relay_phase_seconds', help: 'Time per relay round by phase: read (the outbox rows), encode (and sign), send (to the acks of all replicas), delete', labelNames: ['phase'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers: [registry] });
  const outboxWait = new Histogram({ name: 'saga_outbox_wait_seconds', help: "From the deciding transaction's start (the row's created_at) to the relay reading the row", buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1], registers: [registry] });
  const consumerLatency = consumerLatencyMetrics(registry, 'saga');
  const owned = new Gauge({ name: 'saga_owned_partitions', help: 'Saga partitions this instance owns', registers: [registry] });

  const kafka = createKafka({ ...connection.kafka, clientId: `${connection.kafka.clientId}-saga-orchestrator` }, logger.child({ component: 'kafka' }));
  const catalog = loadSchemaCatalog();
  const codec = new AvroEventCodec({ registry: createRegistryClient(connection.registry), catalog, topicPrefix: connection.topicPrefix });
  const sagaTopic = topicName(connection.topicPrefix, 'saga');
  const topics = [...outcomeCategories(definitions.values(), catalog)].map((c) => topicName(connection.topicPrefix, c));
  const partitions = await partitionCount(kafka, sagaTopic, topics, logger);
  const router = sagaRouter([...definitions.values()].map((d) => compileSaga(d)), catalog);
  const decisions = sagaDecisions({
    definitions,
    partitions,
    logger,
    counters: {
      started: (saga) => started.inc({ saga }),
      finished: (saga, status) => finished.inc({ saga, status }),
      handled: (type) => handled.inc({ type }),
      ignored: () => ignored.inc(),
    },
  });

  const signer = signingKey && new PartitionSigner(kafka, signingKey);
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false, createPartitioner: signer?.partitioner ?? keyHashPartitioner });
  await producer.connect();
  let ownedSagaPartitions: number[] = [];
  const backlog = new BacklogGate();
  let stopping = false;
  /** Where each assigned partition ended at assignment, and where this consumer had stored its position. */
  const learnBacklog = async (assignment: AssignedPartitions, generation: number): Promise<void> => {
    const { ends, stored } = await retry(
      async () => {
        const admin = kafka.admin();
        await admin.connect();
        try {
          const ends = new Map<string, bigint>();
          for (const topic of Object.keys(assignment)) for (const o of await admin.fetchTopicOffsets(topic)) ends.set(offsetKey(topic, o.partition), BigInt(o.high));
          return { ends, stored: await readOffsets(db, sagaSchema, config.groupId) };
        } finally {
          await admin.disconnect();
        }
      },
      {
        policy: { ...defaultRetryPolicy, maxDelayMs: 5000 },
        isRetriable: () => !stopping,
        onRetry: (error, attempt) => logger.warn({ err: error, attempt }, 'cannot read the end offsets of the assigned partitions yet; their timers wait'),
      },
    );
    backlog.known(generation, ends, stored);
  };
  const relay = new OutboxRelay({
    db,
    producer,
    codec,
    ...(signer ? { signer } : {}),
    logger: logger.child({ component: 'relay' }),
    ownedPartitions: () => ownedSagaPartitions,
    onPublished: (rows: readonly OutboxRow[], at: number, timing: RelayTiming) => {
      published.inc(rows.length);
      relayPhase.observe({ phase: 'read' }, (timing.rowsAt - timing.readAt) / 1000);
      relayPhase.observe({ phase: 'encode' }, (timing.encodedAt - timing.rowsAt) / 1000);
      relayPhase.observe({ phase: 'send' }, (timing.sentAt - timing.encodedAt) / 1000);
      relayPhase.observe({ phase: 'delete' }, (timing.deletedAt - timing.sentAt) / 1000);
      outboxWait.observe(Math.max(0, timing.readAt - new Date(rows[0]!.created_at).getTime()) / 1000);
      for (const row of rows) {
        if (row.caused_at === null || row.event.type.startsWith('saga.')) continue;
        const latency = at - Number(row.caused_at);
        dispatchLatency.observe(latency / 1000);
        options.onDispatched?.(row.event, latency);
      }
    },
  });

  const target: ConsumerTarget<{ agents: AgentSnapshot; at: number }> = {
    schema: async () => sagaSchema,
    prepare: async () => {
      const at = now();
      return { agents: await agents(at), at };
    },
    apply: async (trx, _schema, records, { agents: snapshot, at }) => {
      const routed: Routed[] = [];
      const rejections: Rejection[] = [];
      for (const record of records) {
        const event = record.event!;
        const route = router.route(event);
        if (!route) continue;
        if (event.type === 'workflow.requested' && !definitions.has((event.payload as WorkflowRequestedPayload).sagaName)) {
          rejections.push({ record, error: new UnknownSagaError((event.payload as WorkflowRequestedPayload).sagaName, [...definitions.keys()]) });
          continue;
        }
        routed.push({ event, ...route });
      }
      if (routed.length > 0) await decisions.applyEvents(trx, routed, snapshot, at);
      return rejections;
    },
  };

  const consumer = new PartitionConsumer({
    kafka,
    codec,
    db,
    databaseUrl: connection.databaseUrl,
    name: config.groupId,
    groupId: config.groupId,
    topics,
    target,
    deadLetterTopic: topicName(connection.topicPrefix, deadLetterTopicSuffix),
    logger: logger.child({ component: 'consumer' }),
    // The topics read carry many events no saga waits for (its own saga.* events among them); the
    // routing-key header, when present, says so without decoding.
    select: (record) => {
      const routingKey = record.headers[Headers.routingKey];
      return routingKey === undefined || router.mayBeActedOn(routingKey);
    },
    partitionAssigners: [coPartitionedAssigner],
    ...(verifier ? { identity: { verifier, ...(signingKey ? { signingKey } : {}) } } : {}),
    // A saga's events all reach it through its own saga partition's transaction order; decisions lock the
    // saga rows they touch, so the batches of one fetch share a transaction.
    groupCommit: true,
    partitionsConcurrently: config.concurrency,
    consumerConfig: { sessionTimeout: config.sessionTimeoutMs, maxWaitTimeInMs: 100 },
    onAssigned: (assignment) => {
      ownedSagaPartitions = [...(assignment[sagaTopic] ?? [])].sort((a, b) => a - b);
      owned.set(ownedSagaPartitions.length);
      const generation = backlog.assign(assignment);
      void learnBacklog(assignment, generation).catch((error: unknown) => logger.warn({ err: error }, 'gave up reading the end offsets of the assigned partitions'));
      logger.info({ partitions: ownedSagaPartitions }, 'owning saga partitions');
      relay.wake();
    },
    onBatch: (report) => {
      rejected.inc(report.rejected);
      consumerLatency(report);
      backlog.consumed(report.topic, report.partition, report.nextOffset);
      relay.wake();
    },
    onDatabaseError: () => dbErrors.inc(),
  });
  await consumer.start();

  const timers = new SagaTimers({
    db,
    decisions,
    intervalMs: config.timerIntervalMs,
    // A deadline may already be answered by an outcome waiting in the backlog: read it first.
    ownedPartitions: () => ownedSagaPartitions.filter((p) => backlog.isLive(p)),
    agents,
    now,
    databaseUrl: connection.databaseUrl,
    logger,
    onRun: (fired) => {
      if (fired > 0) timersFired.inc(fired);
      relay.wake();
    },
  });

  const ops = await serveOps(options.ops, { port: config.httpPort, registry, logger, health: consumerHealth(db, () => consumer.health()) });
  logger.info({ group: config.groupId, topics, partitions, sagas: [...definitions.keys()] }, 'saga orchestrator running');
  return {
    ops,
    db,
    ownedPartitions: () => [...ownedSagaPartitions],
    stop: async () => {
      stopping = true;
      await timers.stop();
      await consumer.stop();
      await relay.stop();
      await producer.disconnect();
      await signer?.close();
      await ops.close();
      await db.destroy();
    },
  };
};

/** The saga topic's partition count, which co-partitioning and correlation keys depend on. */
const partitionCount = async (kafka: Kafka, sagaTopic: string, topics: readonly string[], logger: Logger): Promise<number> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const metadata = await admin.fetchTopicMetadata({ topics: [...topics] });
    const counts = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
    const partitions = counts.get(sagaTopic)!;
    const mismatched = topics.filter((t) => counts.get(t) !== partitions);
    if (mismatched.length > 0) logger.warn({ partitions, mismatched }, 'outcome topics have another partition count than the saga topic; outcomes may reach a non-owner (still safe: sagas are locked in Postgres)');
    return partitions;
  } finally {
    await admin.disconnect();
  }
};
