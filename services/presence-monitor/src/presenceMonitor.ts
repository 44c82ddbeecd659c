import { Counter, Gauge } from 'prom-client';
import { createKafkaEventBus } from '@agentbus/bus';
import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { deadLetterTopicSuffix, topicName } from '@agentbus/events';
import { createKafka } from '@agentbus/kafka';
import type { Logger } from '@agentbus/logger';
import { PartitionConsumer, type Assignment, type ConsumerTarget } from '@agentbus/consumer';
import { createDatabase, createOffsetsTable, offsetKey, readOffsets } from '@agentbus/postgres-sink';
import { isPresenceEvent, loadPresence, migratePresence, presenceSchema, savePresence, timeoutPolicy, type DetectorEmission } from '@agentbus/presence';
import { defaultRetryPolicy, retry } from '@agentbus/retry';
import { consumerHealth, consumerLatencyMetrics, createMetricsRegistry, serveOps, serviceIdentity, type OpsServer } from '@agentbus/runtime';
import { AgentWatch, type HeardEvent } from './agentWatch';
import { agentsRoute } from './agentsRoute';
import type { PresenceMonitorConfig } from './config';

export interface RunningPresenceMonitor {
  sink: PartitionConsumer;
  ops: OpsServer;
  watch: AgentWatch;
  stop(): Promise<void>;
}

/**
 * Watches the agents of the agent-topic partitions this instance is assigned (agent events are
 * keyed by agentId, so Kafka's partitions are the agents' partitions), keeps their presence in
 * Postgres effectively once, and publishes agent.suspected_failure and agent.recovered.
 */
export const startPresenceMonitor = async (config: PresenceMonitorConfig, logger: Logger, options: { ops?: OpsServer } = {}): Promise<RunningPresenceMonitor> => {
  const { connection } = config;
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-presence-monitor', poolMax: 4, logger });
  await migratePresence(db);
  await createOffsetsTable(db, presenceSchema);
  const { verifier, signingKey } = await serviceIdentity(config.identity, db, logger);
  const policy = timeoutPolicy({ monitorId: config.monitorId, defaultTimeoutMs: config.timeoutMs, byClass: config.classTimeouts });
  const watch = new AgentWatch(policy);
  const agentTopic = topicName(connection.topicPrefix, 'agent');

  const registry = createMetricsRegistry('presence-monitor');
  const events = new Counter({ name: 'presence_events_total', help: 'Agent-topic records applied to the presence read model', registers: [registry] });
  const suspicions = new Counter({ name: 'presence_suspected_failures_total', help: 'agent.suspected_failure events this instance published', registers: [registry] });
  const recoveries = new Counter({ name: 'presence_recoveries_total', help: 'agent.recovered events this instance published', registers: [registry] });
  const rejected = new Counter({ name: 'presence_errors', help: 'Records sent to the dead-letter topic', registers: [registry] });
  const consumerLatency = consumerLatencyMetrics(registry, 'presence');
  const lag = new Gauge({ name: 'presence_lag', help: 'Records behind the end of each agent-topic partition', labelNames: ['partition'], registers: [registry] });
  new Gauge({ name: 'presence_owned_partitions', help: 'Agent-topic partitions this instance watches', registers: [registry], collect() { this.set(watch.partitions.length); } });
  new Gauge({
    name: 'presence_agents',
    help: 'Agents this instance watches, by status',
    labelNames: ['status'],
    registers: [registry],
    collect() {
      for (const [status, n] of Object.entries(watch.counts())) this.set({ status }, n);
    },
  });

  const bus = createKafkaEventBus({ connection, service: 'presence-monitor', logger, ...(signingKey ? { signingKey } : {}) });
  const pending: DetectorEmission[] = [];
  let flushing: Promise<void> | undefined;
  const flush = (): Promise<void> =>
    (flushing ??= (async () => {
      try {
        while (pending.length > 0) {
          const batch = pending.slice(0, 500);
          await bus.publishMany(batch);
          pending.splice(0, batch.length);
          for (const e of batch) {
            if (e.type === 'agent.suspected_failure') suspicions.inc();
            else recoveries.inc();
            logger.info({ ...e.payload }, e.type === 'agent.suspected_failure' ? 'agent suspected of failure' : 'agent recovered');
          }
        }
      } catch (error) {
        // Kept in `pending`; the next tick tries again. The detector has already moved on, so
        // nothing is raised twice.
        logger.warn({ err: error, pending: pending.length }, 'cannot publish presence events yet');
      } finally {
        flushing = undefined;
      }
    })());
  const emit = (emissions: DetectorEmission[]) => {
    if (emissions.length === 0) return;
    pending.push(...emissions);
    void flush();
  };

  let adopting: Promise<void> = Promise.resolve();
  let stopped = false;
  const kafka = createKafka({ ...connection.kafka, clientId: `${connection.kafka.clientId}-presence-monitor` }, logger.child({ component: 'kafka' }));
  const backlogOf = async (partitions: number[]) => {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const bounds = new Map((await admin.fetchTopicOffsets(agentTopic)).map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
      const stored = await readOffsets(db, presenceSchema, config.consumer);
      return partitions.map((partition) => {
        const { low, high } = bounds.get(partition) ?? { low: 0n, high: 0n };
        const at = stored.get(offsetKey(agentTopic, partition));
        // As the sink positions itself: a stored offset outside the partition means reading from the start.
        return { partition, position: at === undefined || at > high || at < low ? low : at, end: high };
      });
    } finally {
      await admin.disconnect();
    }
  };
  const adopt = async (partitions: number[]) => {
    const { stored, backlog } = await retry(async () => ({ stored: await loadPresence(db, partitions, policy), backlog: await backlogOf(partitions) }), {
      policy: { ...defaultRetryPolicy, maxDelayMs: 5000 },
      isRetriable: () => true,
      shouldStop: () => stopped,
      onRetry: (error, attempt) => logger.warn({ err: error, attempt }, 'cannot load the presence of taken-over agents yet; retrying'),
    }).catch(() => ({ stored: undefined, backlog: [] }));
    if (!stored) return;
    for (const { partition, position, end } of backlog) emit(watch.adopt(partition, stored, position, end, Date.now()));
    logger.info({ partitions, owned: watch.partitions, backlog: backlog.map((b) => `${b.partition}:${b.end - b.position}`) }, 'took over agent partitions; each goes live once its backlog is read, then its agents get one timeout before suspicion');
  };
  const onAssigned = (assignment: Assignment) => {
    const { added, removed } = watch.assign(assignment[agentTopic] ?? []);
    if (removed.length > 0) logger.info({ partitions: removed }, 'handed agent partitions over');
    if (added.length > 0) adopting = adopting.then(() => adopt(added));
  };

  const target: ConsumerTarget = {
    schema: async () => presenceSchema,
    apply: async (trx, _schema, records) => {
      // A batch after a take-over waits for the stored agents, so its rows never drop what the table knew.
      await adopting;
      const heard: HeardEvent[] = [];
      for (const { event, partition } of records) if (event && isPresenceEvent(event)) heard.push({ event, partition });
      const now = Date.now();
      const { changed, emit: emissions } = watch.handle(heard, now);
      await savePresence(trx, changed);
      const last = records.at(-1);
      emit([...emissions, ...(last ? watch.reached(last.partition, last.offset, now) : [])]);
      return [];
    },
  };

  const sink = new PartitionConsumer({
    kafka,
    codec: new AvroEventCodec({ registry: createRegistryClient(connection.registry), catalog: loadSchemaCatalog(), topicPrefix: connection.topicPrefix }),
    db,
    databaseUrl: connection.databaseUrl,
    name: config.consumer,
    // One group per topic prefix: monitors of another deployment (or test) on the same broker must
    // never share partition assignments with these.
    groupId: `${connection.topicPrefix}.${config.consumer}`,
    topics: [agentTopic],
    target,
    deadLetterTopic: topicName(connection.topicPrefix, deadLetterTopicSuffix),
    logger: logger.child({ component: 'sink' }),
    consumerConfig: { sessionTimeout: config.sessionTimeoutMs, maxWaitTimeInMs: 100 },
    ...(verifier ? { identity: { verifier, ...(signingKey ? { signingKey } : {}) } } : {}),
    onAssigned,
    onBatch: (r) => {
      events.inc(r.applied);
      rejected.inc(r.rejected);
      lag.set({ partition: String(r.partition) }, r.lag);
      consumerLatency(r);
    },
  });
  await sink.start();

  const ticker = setInterval(() => {
    emit(watch.tick(Date.now()));
    if (pending.length > 0) void flush();
  }, config.tickMs);

  const ops = await serveOps(options.ops, {
    port: config.httpPort,
    registry,
    logger,
    routes: { '/agents': agentsRoute(db, logger) },
    health: async () => {
      const report = await consumerHealth(db, () => sink.health())();
      // Informational: a partition reading its backlog is healthy, only not judging yet.
      const partitions = { ok: true, detail: `owned ${watch.partitions.join(',') || 'none'}; live ${watch.livePartitions.join(',') || 'none'}` };
      return { ...report, checks: { ...report.checks, partitions } };
    },
  });
  logger.info({ consumer: config.consumer, monitorId: config.monitorId, topic: agentTopic, timeoutMs: config.timeoutMs, classTimeouts: config.classTimeouts }, 'presence monitor running');
  return {
    sink,
    ops,
    watch,
    stop: async () => {
      stopped = true;
      clearInterval(ticker);
      await sink.stop();
      await flushing;
      await bus.close();
      await ops.close();
      await db.destroy();
    },
  };
};
