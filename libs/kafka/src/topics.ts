import type { Admin, ITopicConfig } from 'kafkajs';
import { deadLetterTopicSuffix, eventCategories, topicName } from '@agentbus/events';

export interface TopicSpec {
  topic: string;
  numPartitions: number;
  replicationFactor: number;
  configs: Record<string, string>;
}

export interface TopicSettings {
  prefix: string;
  partitions: number;
  replicationFactor: number;
}

/** One topic per event category plus the dead-letter topic, which keeps its records for 30 days. */
export const agentbusTopics = ({ prefix, partitions, replicationFactor }: TopicSettings): TopicSpec[] => [
  ...eventCategories.map((category) => ({
    topic: topicName(prefix, category),
    numPartitions: partitions,
    replicationFactor,
    configs: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * 24 * 3600 * 1000) },
  })),
  {
    topic: topicName(prefix, deadLetterTopicSuffix),
    numPartitions: partitions,
    replicationFactor,
    configs: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * 24 * 3600 * 1000) },
  },
];

/** Creates the topics that are missing; existing topics are left as they are. Returns those created. */
export const ensureTopics = async (admin: Admin, specs: readonly TopicSpec[]): Promise<string[]> => {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length === 0) return [];
  const topics: ITopicConfig[] = missing.map((s) => ({
    topic: s.topic,
    numPartitions: s.numPartitions,
    replicationFactor: s.replicationFactor,
    configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
  }));
  try {
    await admin.createTopics({ topics, waitForLeaders: true });
  } catch (error) {
    // Another process may have created them between listTopics and createTopics.
    if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
  }
  return missing.map((s) => s.topic);
};
