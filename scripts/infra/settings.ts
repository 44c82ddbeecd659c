import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { localPortsSchema, parseConfig, type LocalPorts } from '@agentbus/config';

/** Versions and coordinates live in infra/local/*\/pom.xml; these mirror them for paths and messages. */
export const versions = {
  kafka: process.env.AGENTBUS_KAFKA_VERSION ?? '4.4.0',
  apicurio: '3.0.9',
};

export const repoRoot = resolve(__dirname, '..', '..');

export interface InfraSettings {
  ports: LocalPorts;
  /** Downloads, shared by every checkout on this machine. */
  cacheDir: string;
  /** Data, logs and pids of this checkout's infrastructure. */
  stateDir: string;
  javaHome: string | undefined;
  databaseUrl: string | undefined;
  postgresMode: 'auto' | 'embedded';
}

export const loadInfraSettings = (env: NodeJS.ProcessEnv = process.env): InfraSettings => ({
  ports: parseConfig(localPortsSchema, env),
  cacheDir: env.AGENTBUS_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'agentbus'),
  stateDir: env.AGENTBUS_STATE_DIR ?? join(repoRoot, '.agentbus'),
  javaHome: env.AGENTBUS_JAVA_HOME ?? env.JAVA_HOME,
  databaseUrl: env.DATABASE_URL,
  postgresMode: env.AGENTBUS_POSTGRES === 'embedded' ? 'embedded' : 'auto',
});
