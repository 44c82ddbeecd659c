import { Counter, Gauge, Histogram } from 'prom-client';
import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { deadLetterTopicSuffix, topicName } from '@agentbus/events';
import { agentbusTopics, createKafka } from '@agentbus/kafka';
import type { Logger } from '@agentbus/logger';
import { createDatabase, TransactionalSink } from '@agentbus/postgres-sink';
import { allProjections } from '@agentbus/projections';
import { ensureLiveReadModels, projectionTarget } from '@agentbus/read-models';
import { createMetricsRegistry, databaseCheck, startOpsServer, type OpsServer } from '@agentbus/runtime';
import type { ProjectorConfig } from './config';

export interface RunningProjector {
  sink: TransactionalSink;
  ops: OpsServer;
  stop(): Promise<void>;
}

/** Consumes every event category into the read models, effectively once. */
export const startProjector = async (config: ProjectorConfig, logger: Logger): Promise<RunningProjector> => {
  const { connection } = config;
  // One connection per concurrent batch, one for repositioning, one for the health check.
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-projector', poolMax: config.partitionsConcurrently + 2 });
  const live = await ensureLiveReadModels(db);
  logger.info({ schema: live.schema, generation: live.generation }, 'read models ready');

  const registry = createMetricsRegistry('projector');
  const events = new Counter({ name: 'projector_events_total', help: 'Events applied to the read models', labelNames: ['topic'], registers: [registry] });
  const skipped = new Counter({ name: 'projector_events_skipped_total', help: 'Redelivered records below the stored offset', labelNames: ['topic'], registers: [registry] });
  const errors = new Counter({ name: 'projector_errors', help: 'Records the projector could not apply (sent to the dead-letter topic)', labelNames: ['topic'], registers: [registry] });
  const dbErrors = new Counter({ name: 'projector_database_errors_total', help: 'Batches retried because Postgres was unavailable', registers: [registry] });
  const batchSize = new Histogram({ name: 'projector_batch_size', help: 'Records per transaction', buckets: [1, 10, 50, 100, 500, 1000, 5000], registers: [registry] });
  const batchSeconds = new Histogram({ name: 'projector_batch_duration_seconds', help: 'Time to apply one batch', buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry] });
  const lag = new Gauge({ name: 'projector_lag', help: 'Records behind the end of each partition', labelNames: ['topic', 'partition'], registers: [registry] });

  const kafka = createKafka({ ...connection.kafka, clientId: `${connection.kafka.clientId}-projector` }, logger.child({ component: 'kafka' }));
  const codec = new AvroEventCodec({ registry: createRegistryClient(connection.registry), catalog: loadSchemaCatalog(), topicPrefix: connection.topicPrefix });
  const topics = agentbusTopics({ prefix: connection.topicPrefix, ...connection.topics })
    .map((t) => t.topic)
    .filter((t) => t !== topicName(connection.topicPrefix, deadLetterTopicSuffix));
  const sink = new TransactionalSink({
    kafka,
    codec,
    db,
    databaseUrl: connection.databaseUrl,
    consumer: config.consumer,
    // One group per topic prefix: kafkajs assigns a group's partitions as if every member read the
    // same topics, so projectors of two prefixes in one group would take each other's partitions.
    groupId: `${connection.topicPrefix}.${config.consumer}`,
    topics,
    target: projectionTarget({ projections: allProjections }),
    deadLetterTopic: topicName(connection.topicPrefix, deadLetterTopicSuffix),
    logger: logger.child({ component: 'sink' }),
    partitionsConcurrently: config.partitionsConcurrently,
    consumerConfig: { sessionTimeout: config.sessionTimeoutMs, heartbeatInterval: Math.min(3000, Math.floor(config.sessionTimeoutMs / 3)) },
    onBatch: (r) => {
      events.inc({ topic: r.topic }, r.applied);
      skipped.inc({ topic: r.topic }, r.skipped);
      errors.inc({ topic: r.topic }, r.rejected);
      batchSize.observe(r.fetched);
      batchSeconds.observe(r.durationMs / 1000);
      lag.set({ topic: r.topic, partition: String(r.partition) }, r.lag);
    },
    onError: () => dbErrors.inc(),
  });
  await sink.start();

  const ops = await startOpsServer({
    port: config.httpPort,
    registry,
    logger,
    health: async () => {
      const database = await databaseCheck(db);
      const consumer = { ok: sink.isRunning };
      return { ok: database.ok && consumer.ok, checks: { database, consumer } };
    },
  });
  logger.info({ consumer: config.consumer, topics }, 'projector running');
  return {
    sink,
    ops,
    stop: async () => {
      await sink.stop();
      await ops.close();
      await db.destroy();
    },
  };
};
