import { z } from 'zod';
import { ConfigError, isConfigError, isSecretName, parseConfig } from './parseConfig';

const schema = z.object({ PORT: z.coerce.number().int().min(1), KAFKA_SASL_PASSWORD: z.string().min(10) });

const configErrorFrom = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (error) {
    if (isConfigError(error)) return error as ConfigError;
    throw error;
  }
  throw new Error('expected a ConfigError');
};

describe('parseConfig', () => {
  it('returns the parsed output', () => {
    expect(parseConfig(schema, { PORT: '80', KAFKA_SASL_PASSWORD: 'abcdefghijk' })).toEqual({ PORT: 80, KAFKA_SASL_PASSWORD: 'abcdefghijk' });
  });

  it('throws a CONFIG_INVALID ConfigError naming each variable', () => {
    const error = configErrorFrom(() => parseConfig(schema, { PORT: 'eighty' }));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.issues.map((i) => i.variable)).toEqual(['PORT', 'KAFKA_SASL_PASSWORD']);
    expect(error.message).toMatch(/^Invalid configuration: PORT: .*\(got "eighty"\); KAFKA_SASL_PASSWORD: is required$/);
  });

  it('never echoes the value of a secret-looking variable', () => {
    const error = configErrorFrom(() => parseConfig(schema, { PORT: '1', KAFKA_SASL_PASSWORD: 'hunter2' }));
    expect(error.message).toMatch(/^Invalid configuration: KAFKA_SASL_PASSWORD: /);
    expect(error.message).not.toContain('hunter2');
  });
});

describe('isSecretName', () => {
  it.each(['KAFKA_SASL_PASSWORD', 'SCHEMA_REGISTRY_PASSWORD', 'API_TOKEN', 'CLIENT_SECRET', 'SSL_KEY', 'aws_credentials'])('treats %s as secret', (name) => {
    expect(isSecretName(name)).toBe(true);
  });

  it.each(['KAFKA_BROKERS', 'KAFKA_SASL_USERNAME', 'DATABASE_URL'])('treats %s as not secret', (name) => {
    expect(isSecretName(name)).toBe(false);
  });
});
