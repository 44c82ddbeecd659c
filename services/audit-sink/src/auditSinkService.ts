import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { PartitionConsumer } from '@agentbus/consumer';
import { deadLetterTopicSuffix, topicName } from '@agentbus/events';
import { agentbusTopics, createKafka } from '@agentbus/kafka';
import type { Logger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { consumerMetrics, createMetricsRegistry, startConsumerService, type OpsServer } from '@agentbus/runtime';
import { auditTarget, chainHeads } from './auditTarget';
import type { AuditSinkConfig } from './config';
import { migrateAudit } from './migrations';

export interface RunningAuditSink {
  sink: PartitionConsumer;
  ops: OpsServer;
  topics: string[];
  stop(): Promise<void>;
}

/** Stores every record of every agentbus topic, the dead-letter topic included, in the audit trail. */
export const startAuditSink = async (config: AuditSinkConfig, logger: Logger, options: { ops?: OpsServer } = {}): Promise<RunningAuditSink> => {
  const { connection } = config;
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-audit-sink', poolMax: config.concurrency + 2, logger });
  const applied = await migrateAudit(db);
  logger.info({ applied }, 'audit schema ready');

  const registry = createMetricsRegistry('audit-sink');
  const metrics = consumerMetrics(registry, 'audit_sink', { applied: 'Records appended to the audit trail (undecodable ones raw, with the reason)', batch: 'Time to decode, hash and store one batch' });

  const kafka = createKafka({ ...connection.kafka, clientId: `${connection.kafka.clientId}-audit-sink` }, logger.child({ component: 'kafka' }));
  const codec = new AvroEventCodec({ registry: createRegistryClient(connection.registry), catalog: loadSchemaCatalog(), topicPrefix: connection.topicPrefix });
  // Every category topic and the dead-letter topic: a category added to @agentbus/events is audited too.
  const topics = agentbusTopics({ prefix: connection.topicPrefix, ...connection.topics }).map((t) => t.topic);
  const sink = new PartitionConsumer({
    kafka,
    codec,
    db,
    databaseUrl: connection.databaseUrl,
    name: 'audit-sink',
    groupId: config.groupId,
    topics,
    target: auditTarget(),
    positions: chainHeads,
    // Stored raw with the reason, in the chain: the trail holds every record, decodable or not.
    undecodable: 'keep',
    // Only what Postgres itself refuses in a record (never a grant or a connection) goes here, and
    // since this topic is audited too, its bytes still reach the trail.
    deadLetterTopic: topicName(connection.topicPrefix, deadLetterTopicSuffix),
    logger: logger.child({ component: 'sink' }),
    partitionsConcurrently: config.concurrency,
    consumerConfig: { sessionTimeout: config.sessionTimeoutMs },
    ...metrics,
  });
  const service = await startConsumerService(sink, { db, ops: options.ops, port: config.httpPort, registry, logger });
  logger.info({ groupId: config.groupId, topics }, 'audit sink running');
  return { sink, topics, ...service };
};
