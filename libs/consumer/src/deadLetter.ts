import type { Producer } from 'kafkajs';
import { deadLetterMessage } from '@agentbus/bus';
import type { Logger } from '@agentbus/logger';
import type { Rejection } from './types';

/** Sends refused records to the dead-letter topic with their reasons; acks=all, so a failed send fails the batch and nothing is dropped. */
export const sendToDeadLetters = async (producer: Producer, topic: string, rejections: readonly Rejection[], by: { service: string; logger: Logger; now: number }): Promise<void> => {
  if (rejections.length === 0) return;
  await producer.send({
    topic,
    acks: -1,
    messages: rejections.map(({ record, error }) =>
      // The headers as fetched: one that is bytes (a v3 or v4 signature) is not text.
      deadLetterMessage(
        { ...record.message, key: record.key === null ? null : Buffer.from(record.key), value: record.value, offset: record.offset },
        { topic: record.topic, partition: record.partition },
        { error, attempts: 1, subscription: by.service, service: by.service, failedAt: by.now },
        record.fetchedWith,
      ),
    ),
  });
  for (const { record, error } of rejections) {
    by.logger.error({ err: error, topic: record.topic, partition: record.partition, offset: record.offset, eventId: record.event?.id }, 'record refused; sent to the dead-letter topic');
  }
};
