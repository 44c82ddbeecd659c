import type { Consumer, EachBatchPayload, KafkaMessage, Producer } from 'kafkajs';
import type { Knex } from 'knex';
import { Counter, Gauge, Histogram } from 'prom-client';
import { backoffDelay, deadLetterMessage, defaultRetryPolicy, Headers } from '@agentbus/bus';
import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { AgentbusError, deadLetterTopicSuffix, isRetriable, newEventId, topicName, type AgentEvent, type EventCategory, type WorkflowRequestedPayload } from '@agentbus/events';
import { createKafka } from '@agentbus/kafka';
import { loggerForEvent, type Logger } from '@agentbus/logger';
import { createDatabase, isRetriableDatabaseError, mapDatabaseError } from '@agentbus/postgres-sink';
import { createMetricsRegistry, databaseCheck, serveOps, type OpsServer } from '@agentbus/runtime';
import { builtInSagas, compileSaga, correlationKeyOf, decideSaga, isFinished, nextWakeup, type AgentDirectory, type AgentSnapshot, type SagaDefinition, type SagaInput } from '@agentbus/sagas';
import { CachedDirectory, capabilitiesOf, presenceDirectory, readModelDirectory } from './agentDirectories';
import type { OrchestratorConfig } from './config';
import { OutboxRelay } from './outboxRelay';
import { coPartitionedAssigner, coPartitionedKey, partitionOf } from './partitioning';
import { appendOutbox, loadSagas, migrateSagaStore, sagaSchema, saveSagas, type OutboxRow, type StoredSaga } from './sagaStore';

export const orchestratorSource = 'saga-orchestrator';

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

interface Routed {
  event: AgentEvent;
  message: KafkaMessage;
  sagaId?: string;
  key?: string;
}

export class UnknownSagaError extends AgentbusError {
  constructor(sagaName: string, known: readonly string[]) {
    super('SAGA_UNKNOWN', `workflow.requested names saga "${sagaName}", which this orchestrator does not define; it knows ${known.join(', ')}`, { context: { sagaName } });
    this.name = 'UnknownSagaError';
  }
}

/**
 * Runs sagas durably. One Kafka consumer group reads the saga topic (start events keyed by saga id)
 * and the topics outcomes arrive on; a co-partitioned assignment gives one instance partition p of
 * all of them, so it alone owns the sagas of p. Each batch is one Postgres transaction holding the
 * saga state, the inbox of handled event ids, and the outbox of events to publish; the relay sends
 * the outbox afterwards and timers fire from `next_wakeup`, stored in the same row.
 */
export const startSagaOrchestrator = async (config: OrchestratorConfig, logger: Logger, options: SagaOrchestratorOptions = {}): Promise<RunningOrchestrator> => {
  const { connection } = config;
  const now = options.now ?? Date.now;
  const definitions = new Map((options.definitions ?? builtInSagas).map((d) => [d.name, d as SagaDefinition]));
  const compiled = [...definitions.values()].map((d) => compileSaga(d));
  const capabilityNeeds = [...definitions.values()].flatMap(capabilitiesOf);

  // Each concurrently consumed partition holds a connection for its batch; the relay and the timers need theirs.
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-saga-orchestrator', poolMax: config.concurrency + 3, logger });
  await migrateSagaStore(db);
  const directory = new CachedDirectory(options.directory ?? (config.agentDirectory === 'presence' ? presenceDirectory(db) : readModelDirectory(db)), (error, capability) =>
    logger.warn({ err: error, capability, directory: config.agentDirectory }, 'the agent directory did not answer; no agent for this capability until it does'),
  );

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
  const owned = new Gauge({ name: 'saga_owned_partitions', help: 'Saga partitions this instance owns', registers: [registry] });

  const kafka = createKafka({ ...connection.kafka, clientId: `${connection.kafka.clientId}-saga-orchestrator` }, logger.child({ component: 'kafka' }));
  const codec = new AvroEventCodec({ registry: createRegistryClient(connection.registry), catalog: loadSchemaCatalog(), topicPrefix: connection.topicPrefix });
  const sagaTopic = topicName(connection.topicPrefix, 'saga');
  const deadLetterTopic = topicName(connection.topicPrefix, deadLetterTopicSuffix);
  const outcomeCategories = new Set<EventCategory>(['saga', 'task', 'decision']);
  const catalog = loadSchemaCatalog();
  for (const d of definitions.values()) {
    for (const step of d.steps.flat()) {
      for (const c of [step.command, step.compensation]) {
        if (c?.kind === 'event') for (const m of [...c.completedBy, ...(c.failedBy ?? [])]) outcomeCategories.add(catalog.latest(m.type).category);
      }
    }
  }
  const topics = [...outcomeCategories].map((c) => topicName(connection.topicPrefix, c));

  const admin = kafka.admin();
  await admin.connect();
  let partitions: number;
  try {
    const metadata = await admin.fetchTopicMetadata({ topics });
    const counts = new Map(metadata.topics.map((t) => [t.name, t.partitions.length]));
    partitions = counts.get(sagaTopic)!;
    const mismatched = topics.filter((t) => counts.get(t) !== partitions);
    if (mismatched.length > 0) logger.warn({ partitions, mismatched }, 'outcome topics have another partition count than the saga topic; outcomes may reach a non-owner (still safe: sagas are locked in Postgres)');
  } finally {
    await admin.disconnect();
  }
  const sagaPartition = (sagaId: string) => partitionOf(sagaId, partitions);

  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false });
  await producer.connect();
  let ownedSagaPartitions: number[] = [];
  const relay = new OutboxRelay({
    db,
    producer,
    codec,
    logger: logger.child({ component: 'relay' }),
    ownedPartitions: () => ownedSagaPartitions,
    onPublished: (rows: readonly OutboxRow[], at: number) => {
      published.inc(rows.length);
      for (const row of rows) {
        if (row.caused_at === null || row.event.type.startsWith('saga.')) continue;
        const latency = at - Number(row.caused_at);
        dispatchLatency.observe(latency / 1000);
        options.onDispatched?.(row.event, latency);
      }
    },
  });

  const messageKey = (event: AgentEvent): string => {
    const p = event.payload as Record<string, unknown>;
    if (event.type.startsWith('saga.')) return String(p.sagaId);
    for (const field of ['taskId', 'actionId', 'documentId']) if (typeof p[field] === 'string') return p[field] as string;
    return String(p.sagaId ?? event.source);
  };

  /** Decides one input on a loaded saga, collecting what to write. */
  const decideOn = (saga: StoredSaga, definition: SagaDefinition, input: SagaInput, agents: Awaited<ReturnType<CachedDirectory['snapshot']>>, at: number) => {
    const wasFinished = isFinished(saga.state);
    const decision = decideSaga(definition, saga.state, input, {
      now: at,
      newId: () => newEventId(at),
      agents,
      source: orchestratorSource,
      correlationKey: (sagaId, base) => coPartitionedKey(sagaId, base, partitions),
    });
    saga.state = decision.state;
    for (const e of decision.events) {
      if (e.type === 'saga.started') started.inc({ saga: definition.name });
      if (e.type === 'saga.event_ignored') ignored.inc();
    }
    if (!wasFinished && isFinished(saga.state)) finished.inc({ saga: definition.name, status: saga.state.status });
    return decision.events;
  };

  /** One statement each for the sagas, their new correlation keys and the outbox, however many sagas the batch touched. */
  const persist = async (trx: Knex.Transaction, changed: readonly { saga: StoredSaga; events: AgentEvent[]; causedAt: number | null }[], at: Date) => {
    await saveSagas(trx, changed.map(({ saga }) => ({ saga, nextWakeup: nextWakeup(saga.state) })), at);
    const keys = changed.flatMap(({ saga, events }) =>
      events.filter((e) => e.type === 'saga.step.dispatched').map((e) => ({ key: (e.payload as { correlationKey: string }).correlationKey, saga_id: saga.state.sagaId })),
    );
    if (keys.length > 0) await trx.withSchema(sagaSchema).table('saga_keys').insert(keys).onConflict('key').ignore();
    await appendOutbox(trx, changed.map(({ saga, events, causedAt }) => ({ sagaId: saga.state.sagaId, partition: saga.partition, events, causedAt })), messageKey, at);
  };

  const withRetry = async <T>(what: string, isRunning: () => boolean, fn: () => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (error) {
        if (!isRetriableDatabaseError(error) || !isRunning()) throw error;
        dbErrors.inc();
        logger.warn({ err: mapDatabaseError(error, connection.databaseUrl), attempt }, `database unavailable; retrying ${what}`);
        await new Promise((r) => setTimeout(r, backoffDelay({ ...defaultRetryPolicy, maxDelayMs: 5000 }, Math.min(attempt, 8))));
      }
    }
  };

  const deadLetter = async (topic: string, partition: number, rejections: { message: KafkaMessage; error: unknown }[]) => {
    if (rejections.length === 0) return;
    rejected.inc(rejections.length);
    await producer.send({
      topic: deadLetterTopic,
      acks: -1,
      messages: rejections.map(({ message, error }) => deadLetterMessage(message, { topic, partition }, { error, attempts: 1, subscription: config.groupId, service: orchestratorSource, failedAt: Date.now() })),
    });
    for (const { message, error } of rejections) logger.error({ err: error, topic, partition, offset: message.offset }, 'event refused; sent to the dead-letter topic');
  };

  const acted = new Set(['workflow.requested', 'task.completed', 'task.failed', 'action.approved', 'action.vetoed']);
  for (const saga of compiled) {
    for (const step of saga.stages.flat()) {
      for (const c of [step.command, step.compensation]) if (c?.kind === 'event') for (const m of [...c.completedBy, ...(c.failedBy ?? [])]) acted.add(m.type);
    }
  }
  /** A routing key that starts with a known event type (task.assigned.worker-7) tells the type; any other is decoded to find out. */
  const mayBeActedOn = (routingKey: string): boolean => {
    const words = routingKey.split('.');
    for (let n = 2; n <= Math.min(words.length, 4); n++) {
      const type = words.slice(0, n).join('.');
      if (catalog.has(type)) return acted.has(type);
    }
    return true;
  };

  const route = (event: AgentEvent): { sagaId?: string; key?: string } | undefined => {
    if (event.type === 'workflow.requested') return { sagaId: (event.payload as WorkflowRequestedPayload).sagaId };
    for (const saga of compiled) {
      const found = correlationKeyOf(saga, event);
      if (found) return { key: found.key };
    }
    return undefined;
  };

  /** Applies routed events in one transaction: inbox, decisions, sagas, keys and outbox. */
  const applyRouted = async (trx: Knex.Transaction, items: readonly Routed[], agents: AgentSnapshot, at: number): Promise<void> => {
    const keys = items.filter((r) => r.key !== undefined).map((r) => r.key!);
    const sagaOfKey = new Map<string, string>(
      keys.length === 0 ? [] : (await trx.withSchema(sagaSchema).from('saga_keys').select('key', 'saga_id').whereIn('key', keys)).map((r: { key: string; saga_id: string }) => [r.key, r.saga_id]),
    );
    const mine = items.map((r) => ({ ...r, sagaId: r.sagaId ?? (r.key ? sagaOfKey.get(r.key) : undefined) })).filter((r) => r.sagaId !== undefined);
    if (mine.length === 0) return;
    const fresh = new Set<string>(
      (
        await trx
          .withSchema(sagaSchema)
          .table('inbox')
          .insert(mine.map((r) => ({ event_id: r.event.id, saga_id: r.sagaId, event_type: r.event.type, received_at: new Date(at) })))
          .onConflict('event_id')
          .ignore()
          .returning('event_id')
      ).map((r: { event_id: string }) => r.event_id),
    );
    const todo = mine.filter((r) => fresh.has(r.event.id));
    const sagas = await loadSagas(trx, [...new Set(todo.map((r) => r.sagaId!))].sort(), sagaPartition);
    const out = new Map<string, { events: AgentEvent[]; causedAt: number }>();
    for (const r of todo) {
      const saga = sagas.get(r.sagaId!)!;
      const name = saga.state.sagaName || (r.event.type === 'workflow.requested' ? (r.event.payload as WorkflowRequestedPayload).sagaName : '');
      const definition = definitions.get(name);
      if (!definition) continue;
      const input: SagaInput = r.event.type === 'workflow.requested' ? { kind: 'start', event: r.event as never } : { kind: 'outcome', event: r.event };
      const events = decideOn(saga, definition, input, agents, at);
      handled.inc({ type: r.event.type });
      loggerForEvent(logger, r.event).debug({ sagaId: r.sagaId, emitted: events.length }, 'saga event applied');
      const entry = out.get(r.sagaId!) ?? { events: [], causedAt: r.event.timestamp };
      entry.events.push(...events);
      entry.causedAt = r.event.timestamp;
      out.set(r.sagaId!, entry);
    }
    await persist(trx, [...out].map(([sagaId, { events, causedAt }]) => ({ saga: sagas.get(sagaId)!, events, causedAt })), new Date(at));
  };

  const handleBatch = async ({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> => {
    if (batch.messages.length === 0 || !isRunning() || isStale()) return;
    const routed: Routed[] = [];
    const rejections: { message: KafkaMessage; error: unknown }[] = [];
    for (const message of batch.messages) {
      // The topics read carry many events no saga waits for (its own saga.* events among them); the
      // routing-key header, when present, says so without decoding.
      const routingKey = message.headers?.[Headers.routingKey]?.toString();
      if (routingKey !== undefined && !mayBeActedOn(routingKey)) continue;
      let event: AgentEvent;
      for (let attempt = 1; ; attempt++) {
        try {
          event = (await codec.decode(message.value, { routingKeyHeader: routingKey })).event;
          break;
        } catch (error) {
          if (!isRetriable(error)) {
            rejections.push({ message, error });
            event = undefined as never;
            break;
          }
          logger.warn({ err: error, topic: batch.topic, offset: message.offset }, 'cannot decode yet; retrying');
          await new Promise((r) => setTimeout(r, backoffDelay(defaultRetryPolicy, Math.min(attempt, 8))));
          await heartbeat();
        }
      }
      if (!event) continue;
      const target = route(event);
      if (!target) continue;
      if (event.type === 'workflow.requested' && !definitions.has((event.payload as WorkflowRequestedPayload).sagaName)) {
        rejections.push({ message, error: new UnknownSagaError((event.payload as WorkflowRequestedPayload).sagaName, [...definitions.keys()]) });
        continue;
      }
      routed.push({ event, message, ...target });
    }

    if (routed.length > 0) {
      const at = now();
      const agents = capabilityNeeds.length > 0 ? await directory.snapshot(capabilityNeeds, at) : { findCapableAgents: () => [] };
      const apply = (items: readonly Routed[]) => withRetry('a batch', isRunning, () => db.transaction((trx) => applyRouted(trx, items, agents, at)));
      try {
        await apply(routed);
      } catch (error) {
        if (isRetriableDatabaseError(error)) throw error;
        // The data, not the database, is at fault (a step's builder threw, say): find the event, dead-letter it, go on.
        logger.warn({ err: error, events: routed.length }, 'batch refused; applying event by event to find the cause');
        for (const r of routed) {
          try {
            await apply([r]);
          } catch (single) {
            if (isRetriableDatabaseError(single)) throw single;
            rejections.push({ message: r.message, error: single });
          }
        }
      }
    }
    await deadLetter(batch.topic, batch.partition, rejections);
    resolveOffset(batch.messages.at(-1)!.offset);
    relay.wake();
  };

  /** Fires due deadlines and retries of the sagas this instance owns; a restart finds them in Postgres. */
  const fireTimers = async (): Promise<void> => {
    if (ownedSagaPartitions.length === 0) return;
    const at = now();
    const agents = capabilityNeeds.length > 0 ? await directory.snapshot(capabilityNeeds, at) : { findCapableAgents: () => [] };
    const count = await db.transaction(async (trx) => {
      const due: { saga_id: string }[] = await trx
        .withSchema(sagaSchema)
        .from('sagas')
        .select('saga_id')
        .whereIn('partition', ownedSagaPartitions)
        .where('next_wakeup', '<=', new Date(at))
        .orderBy('next_wakeup')
        .limit(200)
        .forUpdate()
        .skipLocked();
      if (due.length === 0) return 0;
      const sagas = await loadSagas(trx, due.map((d) => d.saga_id), sagaPartition);
      const changed: { saga: StoredSaga; events: AgentEvent[]; causedAt: null }[] = [];
      const postponed: string[] = [];
      for (const saga of sagas.values()) {
        const definition = definitions.get(saga.state.sagaName);
        if (!definition) continue;
        try {
          changed.push({ saga, events: decideOn(saga, definition, { kind: 'tick' }, agents, at), causedAt: null });
        } catch (error) {
          // One saga whose definition throws must not hold up the others' timers; it is tried again later.
          logger.error({ err: error, sagaId: saga.state.sagaId }, 'timer decision failed; trying again in 60 s');
          postponed.push(saga.state.sagaId);
        }
      }
      await persist(trx, changed, new Date(at));
      if (postponed.length > 0) await trx.withSchema(sagaSchema).table('sagas').whereIn('saga_id', postponed).update({ next_wakeup: new Date(at + 60_000) });
      return due.length;
    });
    if (count > 0) {
      timersFired.inc(count);
      relay.wake();
    }
  };

  const consumer: Consumer = kafka.consumer({
    groupId: config.groupId,
    allowAutoTopicCreation: false,
    partitionAssigners: [coPartitionedAssigner],
    sessionTimeout: config.sessionTimeoutMs,
    heartbeatInterval: Math.min(3000, Math.floor(config.sessionTimeoutMs / 3)),
    maxWaitTimeInMs: 100,
  });
  let consumerRunning = false;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    ownedSagaPartitions = [...(payload.memberAssignment[sagaTopic] ?? [])].sort((a, b) => a - b);
    owned.set(ownedSagaPartitions.length);
    logger.info({ partitions: ownedSagaPartitions }, 'owning saga partitions');
    relay.wake();
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    consumerRunning = false;
    logger.error({ err: payload.error, restart: payload.restart }, 'saga consumer crashed');
  });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({ eachBatchAutoResolve: false, partitionsConsumedConcurrently: config.concurrency, eachBatch: handleBatch });
  consumerRunning = true;

  let stopping = false;
  let timerRun: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    timerRun = timerRun
      .then(() => fireTimers())
      .catch((error: unknown) => {
        if (!stopping) logger.warn({ err: mapDatabaseError(error, connection.databaseUrl) }, 'timer run failed; retrying on the next interval');
      });
    // Leftovers of a crashed relay, or of partitions taken over from another instance.
    relay.wake();
  }, config.timerIntervalMs);

  const ops = await serveOps(options.ops, {
    port: config.httpPort,
    registry,
    logger,
    health: async () => {
      const database = await databaseCheck(db);
      const kafkaConsumer = { ok: consumerRunning };
      return { ok: database.ok && kafkaConsumer.ok, checks: { database, consumer: kafkaConsumer } };
    },
  });
  logger.info({ group: config.groupId, topics, partitions, sagas: [...definitions.keys()] }, 'saga orchestrator running');
  return {
    ops,
    db,
    ownedPartitions: () => [...ownedSagaPartitions],
    stop: async () => {
      stopping = true;
      clearInterval(timer);
      await consumer.disconnect();
      await timerRun;
      await relay.stop();
      await producer.disconnect();
      await ops.close();
      await db.destroy();
    },
  };
};
