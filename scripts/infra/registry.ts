import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfraError } from './infraError';
import { assertPortFree, isAlive, run, startDetached, stopProcess, waitFor } from './processes';
import { repoRoot, versions, type InfraSettings } from './settings';
import { readState, updatePart, type PartState } from './state';
import { requireJava, requireMaven } from './toolchain';

const coordinates = `io.apicurio:apicurio-registry-app:${versions.apicurio}:tar.gz:all`;
const artifactPath = `io/apicurio/apicurio-registry-app/${versions.apicurio}/apicurio-registry-app-${versions.apicurio}-all.tar.gz`;

export const registryHome = (s: InfraSettings): string => join(s.cacheDir, `apicurio-registry-${versions.apicurio}`);

/**
 * Apicurio 3.0.9's parent POM is not on Maven Central, so dependency:copy cannot read the
 * artifact's descriptor. The wagon plugin fetches the same artifact as a single file instead.
 * (3.3.x resolves normally but is built for Java 21.)
 */
export const fetchRegistry = (s: InfraSettings): void => {
  const home = registryHome(s);
  if (existsSync(join(home, '.complete'))) return;
  requireMaven();
  mkdirSync(home, { recursive: true });
  const archive = join(s.cacheDir, `apicurio-registry-app-${versions.apicurio}-all.tar.gz`);
  if (!existsSync(archive)) {
    run(
      'mvn',
      [
        '-B',
        '-q',
        'org.codehaus.mojo:wagon-maven-plugin:2.0.2:download-single',
        `-Dwagon.url=https://repo.maven.apache.org/maven2`,
        `-Dwagon.fromFile=${artifactPath}`,
        `-Dwagon.toFile=${archive}.part`,
      ],
      { cwd: join(repoRoot, 'infra', 'local', 'registry'), what: `fetching ${coordinates} from Maven Central` },
    );
    run('mv', [`${archive}.part`, archive], { what: 'caching the registry archive' });
  }
  run('tar', ['-xzf', archive, '-C', home], { what: `unpacking ${archive}` });
  if (!runnerJar(s)) throw new InfraError(`no *-runner.jar in ${home} after unpacking ${coordinates}`);
  writeFileSync(join(home, '.complete'), new Date().toISOString());
};

const runnerJar = (s: InfraSettings): string | undefined => {
  const jar = readdirSync(registryHome(s)).find((f) => f.endsWith('-runner.jar') || f === 'quarkus-run.jar');
  return jar ? join(registryHome(s), jar) : undefined;
};

export const registryUrl = (s: InfraSettings): string => `http://127.0.0.1:${s.ports.AGENTBUS_REGISTRY_PORT}/apis/ccompat/v7`;

export const registryReady = async (url: string): Promise<boolean> => {
  const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(2000) });
  return response.ok;
};

export const startRegistry = async (s: InfraSettings): Promise<PartState> => {
  const url = registryUrl(s);
  const existing = readState(s.stateDir).registry;
  if (existing?.pid && isAlive(existing.pid) && (await registryReady(url).catch(() => false))) return existing;

  const java = requireJava(s.javaHome);
  fetchRegistry(s);
  await assertPortFree(s.ports.AGENTBUS_REGISTRY_PORT, 'schema registry', 'AGENTBUS_REGISTRY_PORT');
  const dataDir = join(s.stateDir, 'registry');
  mkdirSync(dataDir, { recursive: true });
  const logFile = join(s.stateDir, 'logs', 'registry.log');
  const pid = startDetached(
    java,
    [
      '-Xmx512m',
      `-Dquarkus.http.port=${s.ports.AGENTBUS_REGISTRY_PORT}`,
      '-Dquarkus.http.host=127.0.0.1',
      // On disk, so schema ids survive a restart: the ids are inside every message in Kafka.
      `-Dapicurio.datasource.url=jdbc:h2:file:${join(dataDir, 'registry')};DB_CLOSE_ON_EXIT=FALSE`,
      '-Dquarkus.log.level=WARN',
      '-Dquarkus.log.category."io.apicurio".level=INFO',
      '-jar',
      runnerJar(s)!,
    ],
    { logFile, cwd: dataDir },
  );
  await waitFor('Schema registry', () => registryReady(url), { timeoutMs: 90_000, logFile, pid });
  const state: PartState = { pid, mode: `apicurio-registry ${versions.apicurio}`, endpoint: url, startedAt: new Date().toISOString() };
  updatePart(s.stateDir, 'registry', state);
  return state;
};

export const stopRegistry = async (s: InfraSettings): Promise<boolean> => {
  const state = readState(s.stateDir).registry;
  if (!state?.pid) return false;
  await stopProcess(state.pid);
  updatePart(s.stateDir, 'registry', undefined);
  return true;
};
