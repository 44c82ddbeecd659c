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

type KafkaJsError = Error & { type?: string; retriable?: boolean };

/**
 * The error and those it wraps, outermost first. kafkajs's retrier wraps what it gives up on in a
 * KafkaJSNonRetriableError or KafkaJSNumberOfRetriesExceeded whose `cause` is the real failure.
 */
const causeChain = (error: unknown): KafkaJsError[] => {
  const chain: KafkaJsError[] = [];
  for (let e = error; typeof e === 'object' && e !== null && !chain.includes(e as KafkaJsError) && chain.length < 10; e = (e as { cause?: unknown }).cause) {
    chain.push(e as KafkaJsError);
  }
  return chain;
};

/** The innermost message says what actually happened ("connect ECONNREFUSED ..."). */
const rootMessage = (error: KafkaJsError): string => causeChain(error).reverse().find((e) => e.message)?.message ?? String(error);

const saslErrorTypes = ['SASL_AUTHENTICATION_FAILED', 'ILLEGAL_SASL_STATE', 'UNSUPPORTED_SASL_MECHANISM'];
const unreachableNames = ['KafkaJSConnectionError', 'KafkaJSNumberOfRetriesExceeded', 'KafkaJSNonRetriableError', 'KafkaJSRequestTimeoutError', 'KafkaJSBrokerNotFound', 'KafkaJSConnectionClosedError'];

/**
 * kafkajs errors by name or broker error type, mapped once to agentbus errors. A refused SCRAM or
 * PLAIN login arrives as KafkaJSSASLAuthenticationError ("SASL SCRAM SHA256 authentication failed:
 * Authentication failed during authentication due to invalid credentials with SASL mechanism
 * SCRAM-SHA-256", no `type`), either bare or as the `cause` of a retrier's wrapper.
 */
const table: { match: (chain: KafkaJsError[]) => KafkaJsError | undefined; map: (brokers: readonly string[], matched: KafkaJsError, outer: KafkaJsError) => AgentbusError }[] = [
  {
    match: (chain) => chain.find((e) => e.name === 'KafkaJSSASLAuthenticationError' || saslErrorTypes.includes(e.type ?? '')),
    map: (brokers, matched, outer) => new KafkaAuthenticationError(brokers, matched.message, outer),
  },
  {
    match: (chain) =>
      chain.some((e) => unreachableNames.includes(e.name)) &&
      /connect|ECONNREFUSED|timeout|timed out|closed|ENOTFOUND|EHOSTUNREACH|broker/i.test(chain.map((e) => e.message).join(' '))
        ? chain[0]
        : undefined,
    map: (brokers, _matched, outer) => new BrokerUnavailableError(brokers, rootMessage(outer), outer),
  },
];

export const mapKafkaError = (error: unknown, brokers: readonly string[]): unknown => {
  if (isAgentbusError(error)) return error;
  const chain = causeChain(error);
  if (chain.length === 0) return error;
  for (const { match, map } of table) {
    const matched = match(chain);
    if (matched) return map(brokers, matched, chain[0]!);
  }
  return error;
};
