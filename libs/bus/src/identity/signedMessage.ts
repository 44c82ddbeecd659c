import type { IHeaders, Message } from 'kafkajs';
import type { AvroEventCodec, EncodedEvent } from '@agentbus/codec';
import type { AgentEvent } from '@agentbus/events';
import { signatureHeader, signRecords, type SigningKey } from '@agentbus/identity';
import { Headers } from '../kafka/headers';
import { entityKey } from '../publishing';

/** With a key, the event's source becomes the key's DID: a reader checks that the two agree. */
export const asSigner = (event: AgentEvent, key: SigningKey | undefined): AgentEvent => (key && event.source !== key.did ? { ...event, source: key.did } : event);

/** Adds the `agentbus-signature` header (v3, a tree of one) over the encoded record; the headers it covers must already be set. */
export const signHeaders = (key: SigningKey | undefined, topic: string, value: Buffer, headers: IHeaders): IHeaders => {
  if (!key) return headers;
  headers[signatureHeader] = signRecords(key, [{ topic, routingKey: routingKeyOf(headers), value }])[0]!;
  return headers;
};

const routingKeyOf = (headers: IHeaders): string | undefined => (headers[Headers.routingKey] === undefined ? undefined : String(headers[Headers.routingKey]));

/** Encodes, and signs when there is a key: one Kafka message, for producers outside the bus (services' relays and reports). */
export const encodeSigned = async (codec: AvroEventCodec, event: AgentEvent, key: SigningKey | undefined, extraHeaders: IHeaders = {}): Promise<{ topic: string; message: Message; encoded: EncodedEvent }> => {
  const encoded = await codec.encode(asSigner(event, key));
  const headers = signHeaders(key, encoded.topic, encoded.value, { [Headers.routingKey]: encoded.event.routingKey, ...extraHeaders });
  return { topic: encoded.topic, encoded, message: { key: entityKey(encoded.event), value: encoded.value, headers, timestamp: String(encoded.event.timestamp) } };
};
