import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newClusterId, scramCredentials, serverProperties } from './kafka';
import { loadInfraSettings } from './settings';

const properties = (text: string): Record<string, string> =>
  Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

describe('the local broker configuration', () => {
  const settings = loadInfraSettings({ AGENTBUS_KAFKA_PORT: '19092', AGENTBUS_KAFKA_CONTROLLER_PORT: '19093', AGENTBUS_KAFKA_SCRAM_PORT: '19094' });
  const props = properties(serverProperties(settings, '/data/kafka'));

  it('keeps the unauthenticated listener and the controller on PLAINTEXT and adds SASL_PLAINTEXT for SCRAM, all on loopback', () => {
    expect(props.listeners).toBe('PLAINTEXT://127.0.0.1:19092,SASL_PLAINTEXT://127.0.0.1:19094,CONTROLLER://127.0.0.1:19093');
    expect(props['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:19092,SASL_PLAINTEXT://127.0.0.1:19094');
    expect(props['listener.security.protocol.map']).toBe('PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT');
    expect(props['inter.broker.listener.name']).toBe('PLAINTEXT');
    expect(props['listener.name.sasl_plaintext.sasl.enabled.mechanisms']).toBe('SCRAM-SHA-256,SCRAM-SHA-512');
    for (const m of ['scram-sha-256', 'scram-sha-512']) {
      expect(props[`listener.name.sasl_plaintext.${m}.sasl.jaas.config`]).toBe('org.apache.kafka.common.security.scram.ScramLoginModule required;');
    }
  });

  it('holds no password', () => {
    expect(serverProperties(settings, '/data/kafka')).not.toMatch(/password/i);
  });
});

describe('scramCredentials', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'agentbus-scram-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));
  const settings = loadInfraSettings({ AGENTBUS_STATE_DIR: stateDir, AGENTBUS_KAFKA_SCRAM_PORT: '19094' });

  it('is undefined before the first up', () => {
    expect(scramCredentials(settings)).toBeUndefined();
  });

  it('reads the user from .agentbus/kafka/scram.json, with the SCRAM listener as broker', () => {
    mkdirSync(join(stateDir, 'kafka'), { recursive: true });
    writeFileSync(join(stateDir, 'kafka', 'scram.json'), JSON.stringify({ username: 'agentbus', password: 'p' }));
    expect(scramCredentials(settings)).toEqual({ brokers: ['127.0.0.1:19094'], mechanism: 'scram-sha-256', username: 'agentbus', password: 'p' });
  });
});

describe('newClusterId', () => {
  it('is 22 base64url characters', () => {
    expect(newClusterId()).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('never starts with "-", which the storage tool would read as an option', () => {
    const draws = [Buffer.alloc(16, 0xfb), Buffer.alloc(16, 1)];
    expect(Buffer.alloc(16, 0xfb).toString('base64url').startsWith('-')).toBe(true);
    expect(newClusterId(() => draws.shift()!)).toBe(Buffer.alloc(16, 1).toString('base64url'));
  });
});
