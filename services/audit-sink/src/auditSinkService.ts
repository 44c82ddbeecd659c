import { Counter } from 'prom-client';
import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { agentbusTopics, createKafka } from '@agentbus/kafka';
import type { Logger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { batchMetrics, consumerHealth, createMetricsRegistry, serveOps, type OpsServer } from '@agentbus/runtime';
import { AuditSink } from './auditSink';
import type { AuditSinkConfig } from './config';
import { migrateAudit } from './migrations';

export interface RunningAuditSink {
  sink: AuditSink;
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
  const stored = new Counter({ name: 'audit_sink_records_total', help: 'Records appended to the audit trail', labelNames: ['topic'], registers: [registry] });
  const undecodable = new Counter({ name: 'audit_sink_undecodable_total', help: 'Records stored raw because they could not be decoded', labelNames: ['topic'], registers: [registry] });
  const skipped = new Counter({ name: 'audit_sink_records_skipped_total', help: 'Redelivered records already in the trail', labelNames: ['topic'], registers: [registry] });
  const dbErrors = new Counter({ name: 'audit_sink_database_errors_total', help: 'Batches retried because Postgres was unavailable', registers: [registry] });
  const observeBatch = batchMetrics(registry, 'audit_sink', 'Time to decode, hash and store one batch');

  const kafka = createKafka({ ...connection.kafka, clientId: `${connection.kafka.clientId}-audit-sink` }, logger.child({ component: 'kafka' }));
  const codec = new AvroEventCodec({ registry: createRegistryClient(connection.registry), catalog: loadSchemaCatalog(), topicPrefix: connection.topicPrefix });
  // Every category topic and the dead-letter topic: a category added to @agentbus/events is audited too.
  const topics = agentbusTopics({ prefix: connection.topicPrefix, ...connection.topics }).map((t) => t.topic);
  const sink = new AuditSink({
    kafka,
    codec,
    db,
    databaseUrl: connection.databaseUrl,
    groupId: config.groupId,
    topics,
    logger: logger.child({ component: 'sink' }),
    partitionsConsumedConcurrently: config.concurrency,
    sessionTimeout: config.sessionTimeoutMs,
    heartbeatInterval: Math.min(3000, Math.floor(config.sessionTimeoutMs / 3)),
    onBatch: (r) => {
      stored.inc({ topic: r.topic }, r.stored);
      undecodable.inc({ topic: r.topic }, r.undecodable);
      skipped.inc({ topic: r.topic }, r.skipped);
      observeBatch(r);
    },
    onDatabaseError: () => dbErrors.inc(),
  });
  await sink.start();
  const ops = await serveOps(options.ops, {
    port: config.httpPort,
    registry,
    logger,
    health: consumerHealth(db, () => sink.isRunning),
  });
  logger.info({ groupId: config.groupId, topics }, 'audit sink running');
  return {
    sink,
    ops,
    topics,
    stop: async () => {
      await sink.stop();
      await ops.close();
      await db.destroy();
    },
  };
};
