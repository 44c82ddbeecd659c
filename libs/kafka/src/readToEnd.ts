import { randomUUID } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';

export interface ReadRecord {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/** The throwaway consumer groups' names start so; a Kafka user that reads to the end needs Read on this prefix. */
export const readerGroupPrefix = 'agentbus-reader-';

/**
 * Reads a topic from the beginning up to the high watermarks taken at the start, then stops.
 * Uses a throwaway consumer group and commits nothing.
 */
export const readToEnd = async (kafka: Kafka, topic: string, onRecord: (record: ReadRecord) => Promise<void> | void): Promise<number> => {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
  } finally {
    await admin.disconnect();
  }
  const remaining = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
  if (remaining.size === 0) return 0;

  const consumer = kafka.consumer({ groupId: `${readerGroupPrefix}${randomUUID()}` });
  await consumer.connect();
  let count = 0;
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            if (!remaining.has(partition)) return;
            await onRecord({ topic, partition, message });
            count++;
            if (BigInt(message.offset) + 1n >= ends.get(partition)!) {
              remaining.delete(partition);
              if (remaining.size === 0) resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return count;
};
