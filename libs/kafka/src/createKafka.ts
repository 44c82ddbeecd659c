import { readFileSync } from 'node:fs';
import { Kafka, logLevel, type KafkaConfig, type logCreator, type SASLOptions } from 'kafkajs';
import type { KafkaConnection } from '@agentbus/config';
import type { Logger } from '@agentbus/logger';
import { BrokerUnavailableError, mapKafkaError } from './kafkaErrors';
import { noDelaySocketFactory } from './socketFactory';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

// Warnings about choices agentbus makes on purpose: producers bound their retries so a publish
// fails visibly instead of hanging, and the partitioner notice concerns kafkajs 1.x migrations.
const expected = [/^Limiting retries for the idempotent producer/, /^KafkaJS v2\.0\.0 switched default partitioner/];
const selfHealing = [/^Response /, /^Crash: KafkaJS\w*Error: (The coordinator is (loading|not available)|This is not the correct coordinator|The group is rebalancing)/];
const isSelfHealing = (message: string): boolean => selfHealing.some((pattern) => pattern.test(message));

/** kafkajs logs through pino, so broker messages carry the same service fields as ours. */
const pinoLogCreator =
  (logger: Logger): logCreator =>
  () =>
  ({ level, log }) => {
    const { message, ...rest } = log;
    // kafkajs logs at ERROR every protocol error it then recovers from by itself: responses it
    // retries, and consumer "crashes" on a loading or moving group coordinator, after which it
    // restarts the consumer. A failure that matters reaches the caller as a thrown error.
    const effective = (level === logLevel.ERROR && isSelfHealing(message)) || (level === logLevel.WARN && expected.some((p) => p.test(message))) ? logLevel.DEBUG : level;
    logger[levels[effective] ?? 'info']({ component: 'kafkajs', ...rest }, message);
  };

export const kafkaConfig = (connection: KafkaConnection, logger?: Logger): KafkaConfig => {
  const sasl: SASLOptions | undefined = connection.sasl
    ? ({ mechanism: connection.sasl.mechanism, username: connection.sasl.username, password: connection.sasl.password } as SASLOptions)
    : undefined;
  return {
    clientId: connection.clientId,
    brokers: connection.brokers,
    connectionTimeout: connection.connectTimeoutMs,
    ssl: connection.ssl ? (connection.sslCaFile ? { ca: [readFileSync(connection.sslCaFile, 'utf8')] } : true) : false,
    ...(sasl ? { sasl } : {}),
    logLevel: logger ? logLevel.WARN : logLevel.NOTHING,
    ...(logger ? { logCreator: pinoLogCreator(logger) } : {}),
    retry: { initialRetryTime: 100, retries: 8, maxRetryTime: 5000 },
    socketFactory: noDelaySocketFactory,
  };
};

export const createKafka = (connection: KafkaConnection, logger?: Logger): Kafka => new Kafka(kafkaConfig(connection, logger));

/**
 * Proves the broker answers a metadata request within `timeoutMs`, or fails with one clear error.
 * kafkajs alone would retry for tens of seconds before saying anything.
 */
export const assertBrokerReachable = async (connection: KafkaConnection, timeoutMs = 10_000): Promise<void> => {
  const kafka = new Kafka({ ...kafkaConfig(connection), retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BrokerUnavailableError(connection.brokers, `no metadata response within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([
      (async () => {
        await admin.connect();
        await admin.describeCluster();
      })(),
      deadline,
    ]);
  } catch (error) {
    throw mapKafkaError(error, connection.brokers);
  } finally {
    clearTimeout(timer);
    // A peer that never answers can hold disconnect() open too; do not let it outlive the deadline.
    await Promise.race([admin.disconnect().catch(() => undefined), new Promise((r) => setTimeout(r, 500).unref())]);
  }
};
