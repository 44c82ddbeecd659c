import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { localPortsSchema, parseConfig } from '@agentbus/config';

export interface LocalScramCredentials {
  brokers: string[];
  mechanism: 'scram-sha-256';
  username: string;
  password: string;
}

const repoRoot = resolve(__dirname, '..', '..', '..');

/**
 * The SASL/SCRAM user `npm run infra -- up` created on the local broker's SCRAM listener. Throws,
 * saying how to get it, when `up` has not created it yet; the password is never in the message.
 */
export const localScramCredentials = (env: NodeJS.ProcessEnv = process.env): LocalScramCredentials => {
  const file = join(env.AGENTBUS_STATE_DIR ?? join(repoRoot, '.agentbus'), 'kafka', 'scram.json');
  const { AGENTBUS_KAFKA_SCRAM_PORT: port } = parseConfig(localPortsSchema, env);
  if (!existsSync(file)) {
    throw new Error(`no SASL/SCRAM credentials for the local broker at ${file}: create them and the listener on 127.0.0.1:${port} with: npm run infra -- up`);
  }
  const { username, password } = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalScramCredentials>;
  if (!username || !password) throw new Error(`${file} has no username or password: delete it and run: npm run infra -- up`);
  return { brokers: [`127.0.0.1:${port}`], mechanism: 'scram-sha-256', username, password };
};
