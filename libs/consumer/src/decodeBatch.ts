import type { KafkaMessage } from 'kafkajs';
import { decodeRecord, type DecodeWaiting, type RecordVerifier } from '@agentbus/bus';
import type { AvroEventCodec } from '@agentbus/codec';
import { isRetriable } from '@agentbus/events';
import type { ConsumedRecord } from './types';

export const toConsumedRecord = (topic: string, partition: number, message: KafkaMessage, fetchedWith?: readonly KafkaMessage[]): ConsumedRecord => ({
  topic,
  partition,
  offset: message.offset,
  key: message.key?.toString('utf8') ?? null,
  value: message.value,
  headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('utf8') : String(v)])),
  timestamp: Number(message.timestamp),
  message,
  fetchedWith,
});

/**
 * Decodes a partition batch in order. Records `select` passes over are left undecoded and not
 * returned (their offsets still advance); an undecodable record carries its `decodeError`.
 * Returns undefined when told to stop while the registry is unreachable: nothing of the batch is
 * applied, and it is fetched again.
 */
export const decodeBatch = async (
  codec: AvroEventCodec,
  topic: string,
  partition: number,
  messages: readonly KafkaMessage[],
  waiting: DecodeWaiting,
  select?: (record: ConsumedRecord) => boolean,
  verifier?: RecordVerifier,
): Promise<ConsumedRecord[] | undefined> => {
  const records: ConsumedRecord[] = [];
  verifier?.learnCarriers(topic, partition, messages);
  const identity = verifier && { topic, partition, verifier };
  for (const message of messages) {
    const record = toConsumedRecord(topic, partition, message, messages);
    if (select && !select(record)) continue;
    try {
      const pending = decodeRecord(codec, message, waiting, identity);
      const decoded = 'then' in pending ? await pending : pending;
      record.event = decoded.event;
      record.schemaId = decoded.schemaId;
    } catch (error) {
      if (isRetriable(error)) return undefined;
      record.decodeError = error;
    }
    records.push(record);
  }
  return records;
};
