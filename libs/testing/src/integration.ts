import { randomUUID } from 'node:crypto';
import { connectionSchema, parseConfig, type ConnectionConfig } from '@agentbus/config';
import { agentbusTopics, createKafka, ensureTopics } from '@agentbus/kafka';
import type { Kafka } from 'kafkajs';

/** The connections integration tests use: the same variables and defaults as the services. */
export const integrationConfig = (env: NodeJS.ProcessEnv = process.env): ConnectionConfig => parseConfig(connectionSchema, env);

/** A topic prefix no other test shares, so topics and registry subjects never collide. */
export const uniquePrefix = (label: string): string => `t-${label}-${randomUUID().slice(0, 8)}`;

export interface TestTopics {
  kafka: Kafka;
  prefix: string;
  topics: string[];
  cleanup: () => Promise<void>;
}

/** Creates the agentbus topics under a fresh prefix; `cleanup` deletes them. */
export const createTestTopics = async (label: string, config: ConnectionConfig = integrationConfig(), partitions = 3): Promise<TestTopics> => {
  const prefix = uniquePrefix(label);
  const kafka = createKafka(config.kafka);
  const admin = kafka.admin();
  await admin.connect();
  const specs = agentbusTopics({ prefix, partitions, replicationFactor: 1 });
  try {
    await ensureTopics(admin, specs);
  } finally {
    await admin.disconnect();
  }
  const topics = specs.map((s) => s.topic);
  return {
    kafka,
    prefix,
    topics,
    cleanup: async () => {
      const a = kafka.admin();
      await a.connect();
      await a.deleteTopics({ topics }).catch(() => undefined);
      await a.disconnect();
    },
  };
};

/**
 * Whether the consumer group has committed every partition of the topic up to its end: from then
 * on it can receive nothing again, so a test may count what its handlers saw.
 */
export const groupCaughtUp = async (kafka: Kafka, groupId: string, topic: string): Promise<boolean> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [ends, [committed]] = await Promise.all([admin.fetchTopicOffsets(topic), admin.fetchOffsets({ groupId, topics: [topic] })]);
    return ends.every((end) => {
      const offset = committed?.partitions.find((p) => p.partition === end.partition)?.offset ?? '-1';
      return end.high === '0' || BigInt(offset) >= BigInt(end.high);
    });
  } finally {
    await admin.disconnect();
  }
};
