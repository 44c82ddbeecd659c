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

export const headerText = (headers: IHeaders | undefined): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(String).join(',') : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
  return out;
};

export const headerValue = (headers: IHeaders | undefined, name: string): string | undefined => {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  return Buffer.isBuffer(value) ? value.toString('utf8') : Array.isArray(value) ? value.map(String).join(',') : String(value);
};
