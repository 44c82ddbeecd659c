import type { Producer } from 'kafkajs';
import { encodeSigned, violationFor } from '@agentbus/bus';
import type { AvroEventCodec } from '@agentbus/codec';
import { isIdentityRefusal, type SigningKey } from '@agentbus/identity';
import type { Rejection } from './types';

/**
 * violation.detected for each record refused for who wrote it, after its dead letter. Ids derive
 * from the record's place, so a batch applied again, or another service refusing the same
 * record, reports the same violation and read models count it once.
 */
export const sendViolations = async (producer: Producer, codec: AvroEventCodec, rejections: readonly Rejection[], by: { reporter: string; signingKey: SigningKey | undefined }): Promise<void> => {
  const messages = [];
  for (const { record, error } of rejections) {
    if (!isIdentityRefusal(error)) continue;
    const violation = violationFor(error, record, by.signingKey?.did ?? by.reporter);
    if (violation) messages.push(await encodeSigned(codec, violation, by.signingKey));
  }
  if (messages.length === 0) return;
  await producer.sendBatch({ acks: -1, topicMessages: messages.map(({ topic, message }) => ({ topic, messages: [message] })) });
};
