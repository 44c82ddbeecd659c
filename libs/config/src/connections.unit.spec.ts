import { connectionSchema } from './connections';
import { isConfigError, parseConfig, type ConfigError, type Env } from './parseConfig';

const configErrorFrom = (env: Env): ConfigError => {
  try {
    parseConfig(connectionSchema, env);
  } catch (error) {
    if (isConfigError(error)) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('connectionSchema', () => {
  it('defaults to the local infrastructure when the environment is empty', () => {
    expect(parseConfig(connectionSchema, {})).toEqual({
      kafka: { brokers: ['127.0.0.1:9092'], clientId: 'agentbus', ssl: false, sslCaFile: undefined, sasl: undefined, connectTimeoutMs: 5000 },
      registry: { url: 'http://127.0.0.1:8081/apis/ccompat/v7', auth: undefined },
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/agentbus',
      topicPrefix: 'agentbus',
      topics: { partitions: 3, replicationFactor: 1 },
    });
  });

  it('takes the partition count and replication factor of agentbus topics from the environment', () => {
    expect(parseConfig(connectionSchema, { AGENTBUS_TOPIC_PARTITIONS: '12', AGENTBUS_TOPIC_REPLICATION: '3' }).topics).toEqual({ partitions: 12, replicationFactor: 3 });
    expect(() => parseConfig(connectionSchema, { AGENTBUS_TOPIC_PARTITIONS: '0' })).toThrow(/AGENTBUS_TOPIC_PARTITIONS/);
  });

  it('moves the default broker, registry and database with the AGENTBUS_*_PORT variables', () => {
    const config = parseConfig(connectionSchema, { AGENTBUS_KAFKA_PORT: '19092', AGENTBUS_REGISTRY_PORT: '18081', AGENTBUS_PG_PORT: '15432' });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:19092']);
    expect(config.registry.url).toBe('http://127.0.0.1:18081/apis/ccompat/v7');
    expect(config.databaseUrl).toBe('postgres://postgres@127.0.0.1:15432/agentbus');
  });

  it('splits KAFKA_BROKERS and builds sasl and registry auth when complete', () => {
    const config = parseConfig(connectionSchema, {
      KAFKA_BROKERS: 'a:9092, b:9093',
      KAFKA_SSL: 'yes',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'alice',
      KAFKA_SASL_PASSWORD: 'pw',
      SCHEMA_REGISTRY_USERNAME: 'reg',
      SCHEMA_REGISTRY_PASSWORD: 'regpw',
    });
    expect(config.kafka).toMatchObject({ brokers: ['a:9092', 'b:9093'], ssl: true, sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'pw' } });
    expect(config.registry.auth).toEqual({ username: 'reg', password: 'regpw' });
  });

  it('rejects a bad KAFKA_BROKERS, naming the variable and the value', () => {
    const error = configErrorFrom({ KAFKA_BROKERS: 'nonsense' });
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toContain('KAFKA_BROKERS');
    expect(error.message).toContain('"nonsense"');
  });

  it('rejects an out-of-range port, naming AGENTBUS_REGISTRY_PORT', () => {
    const error = configErrorFrom({ AGENTBUS_REGISTRY_PORT: '70000' });
    expect(error.issues.map((i) => i.variable)).toEqual(['AGENTBUS_REGISTRY_PORT']);
    expect(error.message).toContain('AGENTBUS_REGISTRY_PORT');
    expect(error.message).toContain('70000');
  });

  it('requires KAFKA_SASL_USERNAME when KAFKA_SASL_MECHANISM is set', () => {
    const error = configErrorFrom({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_PASSWORD: 'pw' });
    expect(error.issues).toEqual([{ variable: 'KAFKA_SASL_USERNAME', message: 'is required when KAFKA_SASL_MECHANISM is set' }]);
  });

  it('requires KAFKA_SASL_PASSWORD when only the username is given', () => {
    const error = configErrorFrom({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'alice' });
    expect(error.issues.map((i) => i.variable)).toEqual(['KAFKA_SASL_PASSWORD']);
  });

  it('names a rejected password without echoing its value', () => {
    const error = configErrorFrom({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'alice', KAFKA_SASL_PASSWORD: '' });
    expect(new Set(error.issues.map((i) => i.variable))).toEqual(new Set(['KAFKA_SASL_PASSWORD']));
    expect(error.message).not.toContain('(got');
  });
});
