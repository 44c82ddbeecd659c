import type { Admin, ITopicConfig } from 'kafkajs';
import { AgentbusError, ErrorCodes, deadLetterTopicSuffix, eventCategories, topicName } from '@agentbus/events';

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

export class TopicsNotReadyError extends AgentbusError {
  constructor(
    readonly topics: readonly string[],
    readonly waitedMs: number,
    readonly lastReason: string,
  ) {
    super(ErrorCodes.topicsNotReady, `topics ${topics.join(', ')} had no leader answering for every partition within ${waitedMs} ms: ${lastReason}`, {
      retriable: true,
      context: { topics, waitedMs, lastReason },
    });
    this.name = 'TopicsNotReadyError';
  }
}

export interface TopicReadiness {
  /** A topic, and the partition count it must show when this process just created it. */
  topic: string;
  numPartitions?: number;
}

export interface WaitForTopicsOptions {
  timeoutMs?: number;
  pollMs?: number;
}

// What a broker answers while a new topic has reached the controller but not yet this broker's
// metadata or the partition's leader: "not yet", never a failure.
const notYetErrors = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION', 'NOT_LEADER_OR_FOLLOWER', 'REPLICA_NOT_AVAILABLE']);

/** kafkajs's retrier wraps the broker's answer in KafkaJSNumberOfRetriesExceeded; the type sits in a cause. */
const notYetType = (error: unknown): string | undefined => {
  for (let e = error, depth = 0; typeof e === 'object' && e !== null && depth < 10; e = (e as { cause?: unknown }).cause, depth++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === 'string' && notYetErrors.has(type)) return type;
  }
  return undefined;
};

/** Why the topics are not usable yet according to one metadata answer, or undefined when they are. */
const unready = async (admin: Admin, topics: readonly TopicReadiness[]): Promise<string | undefined> => {
  const { topics: found } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
  for (const { topic, numPartitions } of topics) {
    const partitions = found.find((t) => t.name === topic)?.partitions ?? [];
    if (partitions.length === 0 || (numPartitions !== undefined && partitions.length !== numPartitions)) {
      return `${topic} shows ${partitions.length} of ${numPartitions ?? 'its'} partitions`;
    }
    const leaderless = partitions.filter((p) => p.leader < 0).map((p) => p.partitionId);
    if (leaderless.length > 0) return `${topic} partitions ${leaderless.join(',')} have no leader`;
  }
  // Metadata names a leader before that broker may host the partition: ask each leader (ListOffsets).
  await Promise.all(topics.map((t) => admin.fetchTopicOffsets(t.topic)));
  return undefined;
};

/**
 * Waits until metadata lists every partition of the topics with a leader and each leader answers
 * for its partitions. CreateTopics returns once the controller has the topics; until the brokers'
 * metadata catches up, producers, consumers and admin calls get UNKNOWN_TOPIC_OR_PARTITION, and
 * kafkajs's own `waitForLeaders` retries only LEADER_NOT_AVAILABLE.
 */
export const waitForTopics = async (admin: Admin, topics: readonly TopicReadiness[], { timeoutMs = 60_000, pollMs = 100 }: WaitForTopicsOptions = {}): Promise<void> => {
  const started = Date.now();
  for (;;) {
    let reason: string | undefined;
    try {
      reason = await unready(admin, topics);
    } catch (error) {
      const type = notYetType(error);
      if (!type) throw error;
      reason = `the broker answered ${type}`;
    }
    if (reason === undefined) return;
    if (Date.now() - started >= timeoutMs) throw new TopicsNotReadyError(topics.map((t) => t.topic), Date.now() - started, reason);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
};

/**
 * Creates the topics that are missing; existing topics are left as they are. Returns those created,
 * once every one of the topics has leaders answering for it.
 */
export const ensureTopics = async (admin: Admin, specs: readonly TopicSpec[], readiness: WaitForTopicsOptions = {}): Promise<string[]> => {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) {
    const topics: ITopicConfig[] = missing.map((s) => ({
      topic: s.topic,
      numPartitions: s.numPartitions,
      replicationFactor: s.replicationFactor,
      configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
    }));
    try {
      await admin.createTopics({ topics, waitForLeaders: false });
    } catch (error) {
      // Another process may have created them between listTopics and createTopics.
      if ((error as { type?: string }).type !== 'TOPIC_ALREADY_EXISTS') throw error;
    }
  }
  // Topics that existed may be another process's, created a moment ago: they are waited for too,
  // with whatever partition count they were given.
  await waitForTopics(
    admin,
    specs.map((s) => (existing.has(s.topic) ? { topic: s.topic } : { topic: s.topic, numPartitions: s.numPartitions })),
    readiness,
  );
  return missing.map((s) => s.topic);
};
