import type { IHeaders } from 'kafkajs';
import type { AvroEventCodec, DecodedEvent } from '@agentbus/codec';
import { isRetriable } from '@agentbus/events';
import { retry, type RetryPolicy } from '@agentbus/retry';
import type { RecordVerifier } from '../identity/recordVerifier';
import { Headers, headerValue } from './headers';

export interface DecodeWaiting {
  policy: RetryPolicy;
  /** The consumer's heartbeat: a registry outage longer than the session timeout must not cost the group membership. */
  heartbeat?: () => Promise<void>;
  /** Checked between tries (shutdown, a lost assignment): the last failure is thrown. */
  shouldStop?: () => boolean;
  onRetry?: (error: unknown, attempt: number) => void;
}

/** Who wrote the record, checked after decoding: the topic is part of what was signed. */
export interface DecodeIdentity {
  topic: string;
  /** With the record's offset, where a v4 member's carrier is found. */
  partition: number;
  verifier: RecordVerifier;
}

/**
 * The one decode step of every consumer. A retriable failure (the registry is unreachable) says
 * nothing about the record, so it is waited out in order, heartbeating; any other failure (bad
 * bytes, unknown schema, an invalid event) is thrown for the caller to dead-letter with its code.
 * With a verifier in `require`, a record refused for who wrote it is thrown the same way
 * (EVENT_UNSIGNED, SIGNATURE_INVALID, SOURCE_MISMATCH, NOT_AUTHORIZED); a policy outage is waited out.
 */
export const decodeRecord = (
  codec: AvroEventCodec,
  record: { value: Buffer | null; headers?: IHeaders; offset?: string },
  waiting: DecodeWaiting,
  identity?: DecodeIdentity,
): DecodedEvent | Promise<DecodedEvent> => {
  // The body is the truth; a routing-key header that disagrees with it is refused, never routed on.
  const context = { routingKeyHeader: headerValue(record.headers, Headers.routingKey) };
  // Almost every record is written with a schema already read: no promise, no retry loop. It throws
  // only what the retrying path would throw at once (nothing retriable: no registry is needed).
  // With a verifier, the same when the signer's grant is in memory and nothing is refused.
  const decodeKnown = () => codec.decodeKnown(record.value, context);
  const signed = identity && { value: record.value, headers: record.headers, partition: identity.partition, offset: record.offset };
  const known = identity ? identity.verifier.decodeVerifiedNow(identity.topic, signed!, decodeKnown) : decodeKnown();
  if (known) return known;
  const decode = () => (identity ? identity.verifier.decodeVerified(identity.topic, signed!, () => codec.decode(record.value, context), () => codec.decode(record.value)) : codec.decode(record.value, context));
  return retry(decode, { policy: waiting.policy, isRetriable, heartbeat: waiting.heartbeat, shouldStop: waiting.shouldStop, onRetry: waiting.onRetry });
};
