import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { localScramCredentials } from './scram';

describe('localScramCredentials', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'agentbus-testing-scram-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('says to run infra up when the credentials file is missing', () => {
    expect(() => localScramCredentials({ AGENTBUS_STATE_DIR: stateDir })).toThrow(/scram\.json.*npm run infra -- up/);
  });

  it('reads the user infra up generated, on the SCRAM port', () => {
    mkdirSync(join(stateDir, 'kafka'));
    writeFileSync(join(stateDir, 'kafka', 'scram.json'), JSON.stringify({ username: 'agentbus', password: 'secret' }));
    expect(localScramCredentials({ AGENTBUS_STATE_DIR: stateDir, AGENTBUS_KAFKA_SCRAM_PORT: '19094' })).toEqual({
      brokers: ['127.0.0.1:19094'],
      mechanism: 'scram-sha-256',
      username: 'agentbus',
      password: 'secret',
    });
  });
});
