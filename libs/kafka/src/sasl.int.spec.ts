import { randomUUID } from 'node:crypto';
import { connectionSchema, parseConfig, type KafkaConnection } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { localScramCredentials, uniquePrefix, type LocalScramCredentials } from '@agentbus/testing';
import { assertBrokerReachable, createKafka } from './createKafka';
import { isKafkaAuthenticationError } from './kafkaErrors';
import { ensureTopics } from './topics';

const scramConnection = (credentials: LocalScramCredentials, overrides: { mechanism?: string; username?: string; password?: string } = {}): KafkaConnection =>
  parseConfig(connectionSchema, {
    KAFKA_BROKERS: credentials.brokers.join(','),
    KAFKA_SASL_MECHANISM: overrides.mechanism ?? credentials.mechanism,
    KAFKA_SASL_USERNAME: overrides.username ?? credentials.username,
    KAFKA_SASL_PASSWORD: overrides.password ?? credentials.password,
  }).kafka;

/** A missing listener or user is a broken set-up, not a reason to skip: say how to fix it. */
const assertScramLogin = (connection: KafkaConnection): Promise<void> =>
  assertBrokerReachable(connection, 15_000).catch((error: Error) => {
    throw new Error(`the local SASL/SCRAM listener at ${connection.brokers.join(',')} does not accept agentbus's credentials (${error.message}); start or update it with: npm run infra -- up`);
  });

describe('SASL/SCRAM on the local broker', () => {
  let credentials: LocalScramCredentials;
  let connection: KafkaConnection;

  beforeAll(async () => {
    credentials = localScramCredentials();
    connection = scramConnection(credentials);
    await assertScramLogin(connection);
  });

  it('accepts the right credentials with SCRAM-SHA-256 and SCRAM-SHA-512', async () => {
    await expect(assertScramLogin(connection)).resolves.toBeUndefined();
    await expect(assertScramLogin(scramConnection(credentials, { mechanism: 'scram-sha-512' }))).resolves.toBeUndefined();
  });

  it('sends a message and reads it back over SCRAM', async () => {
    const kafka = createKafka(connection);
    const topic = uniquePrefix('sasl');
    const admin = kafka.admin();
    const producer = kafka.producer();
    const consumer = kafka.consumer({ groupId: `${topic}-reader` });
    await admin.connect();
    try {
      await ensureTopics(admin, [{ topic, numPartitions: 1, replicationFactor: 1, configs: {} }]);
      const value = `hello over scram ${randomUUID()}`;
      await producer.connect();
      await producer.send({ topic, messages: [{ key: 'k', value }] });

      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      const received = new Promise<string>((resolve) => {
        void consumer.run({ eachMessage: async ({ message }) => resolve(message.value?.toString() ?? '') });
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no message on ${topic} within 30 s`)), 30_000);
      });
      await expect(Promise.race([received, timeout]).finally(() => clearTimeout(timer))).resolves.toBe(value);
    } finally {
      await consumer.disconnect().catch(() => undefined);
      await producer.disconnect().catch(() => undefined);
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('refuses a wrong password quickly with KAFKA_AUTHENTICATION_FAILED, naming the broker and the variables but not the password', async () => {
    const wrong = `wrong-${randomUUID()}`;
    const started = Date.now();
    const error = await assertBrokerReachable(scramConnection(credentials, { password: wrong }), 9_000).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(10_000);

    expect(isKafkaAuthenticationError(error)).toBe(true);
    const { code, message } = error as { code: string; message: string };
    expect(code).toBe('KAFKA_AUTHENTICATION_FAILED');
    expect(message).toContain(credentials.brokers[0]);
    expect(message).toContain('KAFKA_SASL_USERNAME');
    expect(message).toContain('KAFKA_SASL_PASSWORD');
    for (const text of [message, JSON.stringify(error), String((error as Error).stack)]) {
      expect(text).not.toContain(wrong);
      expect(text).not.toContain(credentials.password);
    }
  });

  it('refuses an unknown user the same way', async () => {
    const error = await assertBrokerReachable(scramConnection(credentials, { username: `nobody-${randomUUID().slice(0, 8)}` }), 9_000).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toBe('KAFKA_AUTHENTICATION_FAILED');
    expect((error as Error).message).not.toContain(credentials.password);
  });

  it('leaves the password out of what kafkajs logs about a refused login', async () => {
    const wrong = `wrong-${randomUUID()}`;
    const lines: string[] = [];
    const logger = createLogger({ name: 'sasl-test', level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
    const admin = createKafka(scramConnection(credentials, { password: wrong }), logger).admin();
    await expect(admin.connect()).rejects.toThrow(/authentication failed/i);
    await admin.disconnect();
    expect(lines.join('')).toMatch(/SCRAM/);
    expect(lines.join('')).not.toContain(wrong);
  });
});
