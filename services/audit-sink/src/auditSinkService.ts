import { Counter, Gauge, Histogram } from 'prom-client';
import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { agentbusTopics, createKafka } from '@agentbus/kafka';
import type { Logger } from '@agentbus/logger';
import { createDatabase } from '@agentbus/postgres-sink';
import { createMetricsRegistry, databaseCheck, startOpsServer, type OpsServer } from '@agentbus/runtime';
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
export const startAuditSink = async (config: AuditSinkConfig, logger: Logger): Promise<RunningAuditSink> => {
  const { connection } = config;
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-audit-sink', poolMax: config.concurrency + 2 });
  const applied = await migrateAudit(db);
  logger.info({ applied }, 'audit schema ready');

  const registry = createMetricsRegistry('audit-sink');
  const stored = new Counter({ name: 'audit_sink_records_total', help: 'Records appended to the audit trail', labelNames: ['topic'], registers: [registry] });
  const undecodable = new Counter({ name: 'audit_sink_undecodable_total', help: 'Records stored raw because they could not be decoded', labelNames: ['topic'], registers: [registry] });
  const skipped = new Counter({ name: 'audit_sink_records_skipped_total', help: 'Redelivered records already in the trail', labelNames: ['topic'], registers: [registry] });
  const dbErrors = new Counter({ name: 'audit_sink_database_errors_total', help: 'Batches retried because Postgres was unavailable', registers: [registry] });
  const batchSize = new Histogram({ name: 'audit_sink_batch_size', help: 'Records per transaction', buckets: [1, 10, 50, 100, 500, 1000, 5000], registers: [registry] });
  const batchSeconds = new Histogram({ name: 'audit_sink_batch_duration_seconds', help: 'Time to decode, hash and store one batch', buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry] });
  const lag = new Gauge({ name: 'audit_sink_lag', help: 'Records behind the end of each partition', labelNames: ['topic', 'partition'], registers: [registry] });

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
      batchSize.observe(r.fetched);
      batchSeconds.observe(r.durationMs / 1000);
      lag.set({ topic: r.topic, partition: String(r.partition) }, r.lag);
    },
    onDatabaseError: () => dbErrors.inc(),
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
