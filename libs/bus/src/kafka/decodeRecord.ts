import type { IHeaders } from 'kafkajs';
import type { AvroEventCodec, DecodedEvent } from '@agentbus/codec';
import { isRetriable } from '@agentbus/events';
import { retry, type RetryPolicy } from '@agentbus/retry';
import { Headers, headerValue } from './headers';

export interface DecodeWaiting {
  policy: RetryPolicy;
  /** The consumer's heartbeat: a registry outage longer than the session timeout must not cost the group membership. */
  heartbeat?: () => Promise<void>;
  /** Checked between tries (shutdown, a lost assignment): the last failure is thrown. */
  shouldStop?: () => boolean;
  onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * The one decode step of every consumer. A retriable failure (the registry is unreachable) says
 * nothing about the record, so it is waited out in order, heartbeating; any other failure (bad
 * bytes, unknown schema, an invalid event) is thrown for the caller to dead-letter with its code.
 */
export const decodeRecord = (codec: AvroEventCodec, record: { value: Buffer | null; headers?: IHeaders }, waiting: DecodeWaiting): Promise<DecodedEvent> => {
  // The body is the truth; a routing-key header that disagrees with it is refused, never routed on.
  const context = { routingKeyHeader: headerValue(record.headers, Headers.routingKey) };
  return retry(() => codec.decode(record.value, context), { policy: waiting.policy, isRetriable, heartbeat: waiting.heartbeat, shouldStop: waiting.shouldStop, onRetry: waiting.onRetry });
};
