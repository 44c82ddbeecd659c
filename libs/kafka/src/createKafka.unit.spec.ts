import { connectionSchema, parseConfig } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { kafkaConfig } from './createKafka';

const password = 'pw-that-must-never-be-logged-7f3a';

const memoryLogger = () => {
  const lines: string[] = [];
  return { logger: createLogger({ name: 'kafka-test', level: 'debug', destination: { write: (line: string) => void lines.push(line) } }), output: () => lines.join('') };
};

const config = parseConfig(connectionSchema, {
  KAFKA_BROKERS: '127.0.0.1:9094',
  KAFKA_SASL_MECHANISM: 'scram-sha-256',
  KAFKA_SASL_USERNAME: 'agentbus',
  KAFKA_SASL_PASSWORD: password,
});

describe('kafkaConfig with SASL', () => {
  it('passes the credentials to kafkajs', () => {
    expect(kafkaConfig(config.kafka).sasl).toEqual({ mechanism: 'scram-sha-256', username: 'agentbus', password });
  });

  it('never lets the password into pino output, however the config is logged', () => {
    const { logger, output } = memoryLogger();
    const built = kafkaConfig(config.kafka, logger);
    logger.info({ config: built }, 'x');
    logger.info(built, 'top level');
    logger.info({ kafka: config.kafka }, 'connection');
    logger.info({ config }, 'whole config');
    logger.info({ service: { config: built } }, 'nested');
    expect(output()).toContain('127.0.0.1:9094');
    expect(output()).toContain('[redacted]');
    expect(output()).not.toContain(password);
  });
});

describe('kafkajs log levels through pino', () => {
  const logThrough = (level: number, message: string) => {
    const { logger, output } = memoryLogger();
    kafkaConfig(config.kafka, logger).logCreator!(level)({ namespace: 'x', level, label: 'ERROR', log: { message, timestamp: 'now' } });
    return JSON.parse(output().trim().split('\n').at(-1)!) as { level: string; msg: string };
  };

  it('demotes the warnings about deliberate producer settings, and keeps other warnings', () => {
    expect(logThrough(2, 'Limiting retries for the idempotent producer may invalidate EoS guarantees').level).toBe('debug');
    expect(logThrough(2, 'Something else entirely').level).toBe('warn');
  });

  it('keeps real errors at error', () => {
    expect(logThrough(1, 'Crash: KafkaJSNumberOfRetriesExceeded: connect ECONNREFUSED').level).toBe('error');
  });

  it.each(['Response Produce(key: 0, version: 7)', "Crash: KafkaJSProtocolError: The coordinator is loading and hence can't process requests for this group", 'Crash: KafkaJSProtocolError: The group is rebalancing, so a rejoin is needed'])(
    'demotes what kafkajs recovers from by itself to debug: %s',
    (message) => {
      expect(logThrough(1, message)).toMatchObject({ level: 'debug', msg: message });
    },
  );
});
