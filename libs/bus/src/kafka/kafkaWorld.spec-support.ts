import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { createLogger } from '@agentbus/logger';
import { createTestTopics, integrationConfig, type TestTopics } from '@agentbus/testing';
import { createKafkaEventBus, type KafkaEventBusSettings } from './createKafkaEventBus';
import { DeadLetterQueue } from './deadLetters';
import type { KafkaEventBus } from './kafkaEventBus';

export const config = integrationConfig();
export const quietLogger = createLogger({ name: 'bus-test', level: process.env.LOG_LEVEL ?? 'fatal', pretty: false });

/** Buses on fresh topics and registry subjects, tuned for fast group joins. */
export const kafkaWorld = async (label: string) => {
  const topics: TestTopics = await createTestTopics(label, config);
  const connection = { ...config, topicPrefix: topics.prefix };
  const buses: KafkaEventBus[] = [];
  const bus = async (service = 'contract', settings: Partial<KafkaEventBusSettings> = {}): Promise<KafkaEventBus> => {
    const created = createKafkaEventBus({
      connection,
      service,
      logger: quietLogger,
      consumer: { sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 100, rebalanceTimeout: 10_000 },
      backpressureReportAfterMs: 0,
      ...settings,
    });
    if (buses.length === 0) await created.registerSchemas();
    buses.push(created);
    return created;
  };
  return {
    topics,
    connection,
    bus,
    deadLetters: new DeadLetterQueue(topics.kafka, `${topics.prefix}.dlq`, new AvroEventCodec({ registry: createRegistryClient(connection.registry), catalog: loadSchemaCatalog(), topicPrefix: topics.prefix })),
    cleanup: async () => {
      await Promise.all(buses.map((b) => b.close({ deadlineMs: 5000 })));
      await topics.cleanup();
    },
  };
};

