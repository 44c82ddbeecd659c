import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { deadLetterTopicSuffix, topicName } from '@agentbus/events';
import { agentbusTopics, createKafka } from '@agentbus/kafka';
import type { Logger } from '@agentbus/logger';
import { PartitionConsumer } from '@agentbus/consumer';
import { createDatabase } from '@agentbus/postgres-sink';
import { allProjections } from '@agentbus/projections';
import { ensureLiveReadModels, projectionTarget } from '@agentbus/read-models';
import { consumerMetrics, createMetricsRegistry, serviceIdentity, startConsumerService, type OpsServer } from '@agentbus/runtime';
import type { ProjectorConfig } from './config';

export interface RunningProjector {
  sink: PartitionConsumer;
  ops: OpsServer;
  stop(): Promise<void>;
}

/** Consumes every event category into the read models, effectively once. */
export const startProjector = async (config: ProjectorConfig, logger: Logger, options: { ops?: OpsServer } = {}): Promise<RunningProjector> => {
  const { connection } = config;
  // Group commit: one transaction at a time, one connection for repositioning, one for the health check.
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-projector', poolMax: 3, logger });
  const live = await ensureLiveReadModels(db);
  logger.info({ schema: live.schema, generation: live.generation }, 'read models ready');
  const { verifier, signingKey } = await serviceIdentity(config.identity, db, logger);

  const registry = createMetricsRegistry('projector');
  const metrics = consumerMetrics(registry, 'projector', { applied: 'Events applied to the read models', batch: 'Time to apply one batch' });

  const kafka = createKafka({ ...connection.kafka, clientId: `${connection.kafka.clientId}-projector` }, logger.child({ component: 'kafka' }));
  const codec = new AvroEventCodec({ registry: createRegistryClient(connection.registry), catalog: loadSchemaCatalog(), topicPrefix: connection.topicPrefix });
  const topics = agentbusTopics({ prefix: connection.topicPrefix, ...connection.topics })
    .map((t) => t.topic)
    .filter((t) => t !== topicName(connection.topicPrefix, deadLetterTopicSuffix));
  const sink = new PartitionConsumer({
    kafka,
    codec,
    db,
    databaseUrl: connection.databaseUrl,
    name: config.consumer,
    // One group per topic prefix: kafkajs assigns a group's partitions as if every member read the
    // same topics, so projectors of two prefixes in one group would take each other's partitions.
    groupId: `${connection.topicPrefix}.${config.consumer}`,
    topics,
    target: projectionTarget({ projections: allProjections }),
    deadLetterTopic: topicName(connection.topicPrefix, deadLetterTopicSuffix),
    logger: logger.child({ component: 'sink' }),
    // Read models are keyed by entity, not by partition: the batches of one fetch share a transaction.
    groupCommit: true,
    pipeline: true,
    partitionsConcurrently: config.partitionsConcurrently,
    consumerConfig: { sessionTimeout: config.sessionTimeoutMs },
    ...(verifier ? { identity: { verifier, ...(signingKey ? { signingKey } : {}) } } : {}),
    ...metrics,
  });
  const service = await startConsumerService(sink, { db, ops: options.ops, port: config.httpPort, registry, logger });
  logger.info({ consumer: config.consumer, topics }, 'projector running');
  return { sink, ...service };
};
