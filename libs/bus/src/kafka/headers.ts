import { isUtf8 } from 'node:buffer';
import type { IHeaders } from 'kafkajs';
import { routingKeyHeader } from '@agentbus/events';

/** Headers every agentbus record carries, readable without decoding the Avro body. */
export const Headers = {
  routingKey: routingKeyHeader,
  traceparent: 'traceparent',
} as const;

/** On a record re-published from the dead-letter topic: `<dead-letter topic>/<partition>/<offset>` of the dead letter it came from. */
export const republishedFromHeader = 'agentbus-republished-from';

export const DeadLetterHeaders = {
  reason: 'agentbus-dlq-reason',
  code: 'agentbus-dlq-code',
  sourceTopic: 'agentbus-dlq-source-topic',
  sourcePartition: 'agentbus-dlq-source-partition',
  sourceOffset: 'agentbus-dlq-source-offset',
  subscription: 'agentbus-dlq-subscription',
  service: 'agentbus-dlq-service',
  attempts: 'agentbus-dlq-attempts',
  failedAt: 'agentbus-dlq-failed-at',
} as const;

// Shown, not re-read: bytes that are not UTF-8 (a v3 agentbus-signature) as base64 rather than U+FFFD.
const bytesText = (value: Buffer): string => (isUtf8(value) ? value.toString('utf8') : `base64:${value.toString('base64')}`);

export const headerText = (headers: IHeaders | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(String).join(',') : Buffer.isBuffer(value) ? bytesText(value) : String(value);
  }
  return out;
};

export const headerValue = (headers: IHeaders | undefined, name: string): string | undefined => {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  return Buffer.isBuffer(value) ? value.toString('utf8') : Array.isArray(value) ? value.map(String).join(',') : String(value);
};
