import { AgentbusError, ErrorCodes, isAgentbusError } from '@agentbus/events';

export class BrokerUnavailableError extends AgentbusError {
  constructor(
    readonly brokers: readonly string[],
    reason: string,
    cause?: unknown,
  ) {
    super(ErrorCodes.brokerUnavailable, `Kafka broker unreachable at ${brokers.join(',')}: ${reason}. Is it running? (npm run infra -- status)`, {
      retriable: true,
      cause,
      context: { brokers, reason },
    });
    this.name = 'BrokerUnavailableError';
  }
}

export class KafkaAuthenticationError extends AgentbusError {
  constructor(
    readonly brokers: readonly string[],
    reason: string,
    cause?: unknown,
  ) {
    super(ErrorCodes.kafkaAuthenticationFailed, `Kafka refused the credentials at ${brokers.join(',')}: ${reason}. Check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM`, {
      cause,
      context: { brokers, reason },
    });
    this.name = 'KafkaAuthenticationError';
  }
}

export const isBrokerUnavailableError = (e: unknown): e is BrokerUnavailableError => isAgentbusError(e, ErrorCodes.brokerUnavailable);
export const isKafkaAuthenticationError = (e: unknown): e is KafkaAuthenticationError => isAgentbusError(e, ErrorCodes.kafkaAuthenticationFailed);

type KafkaJsError = Error & { type?: string; retriable?: boolean; originalError?: unknown };

/** kafkajs errors by name or broker error type, mapped once to agentbus errors. */
const table: { match: (e: KafkaJsError) => boolean; map: (brokers: readonly string[], e: KafkaJsError) => AgentbusError }[] = [
  {
    match: (e) => e.name === 'KafkaJSSASLAuthenticationError' || e.type === 'SASL_AUTHENTICATION_FAILED' || e.type === 'ILLEGAL_SASL_STATE',
    map: (brokers, e) => new KafkaAuthenticationError(brokers, e.message, e),
  },
  {
    match: (e) =>
      ['KafkaJSConnectionError', 'KafkaJSNumberOfRetriesExceeded', 'KafkaJSNonRetriableError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound', 'KafkaJSConnectionClosedError'].includes(e.name) &&
      /connect|ECONNREFUSED|timeout|timed out|closed|ENOTFOUND|EHOSTUNREACH|broker/i.test(`${e.message} ${(e.originalError as Error | undefined)?.message ?? ''}`),
    map: (brokers, e) => new BrokerUnavailableError(brokers, rootMessage(e), e),
  },
];

const rootMessage = (e: KafkaJsError): string => {
  const inner = e.originalError as KafkaJsError | undefined;
  return inner && inner !== e && inner.message ? rootMessage(inner) : e.message;
};

export const mapKafkaError = (error: unknown, brokers: readonly string[]): unknown => {
  if (isAgentbusError(error)) return error;
  const e = error as KafkaJsError;
  for (const { match, map } of table) if (match(e)) return map(brokers, e);
  return error;
};
