import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { InfraError } from './infraError';
import { assertPortFree, isAlive, run, startDetached, stopProcess, waitFor } from './processes';
import { repoRoot, versions, type InfraSettings } from './settings';
import { readState, updatePart, type PartState } from './state';
import { requireJava, requireMaven } from './toolchain';

const pomDir = join(repoRoot, 'infra', 'local', 'kafka');
const scramMechanisms = ['SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
const scramUser = 'agentbus';

export const kafkaLibDir = (s: InfraSettings): string => join(s.cacheDir, `kafka-${versions.kafka}`, 'libs');
export const kafkaClasspath = (s: InfraSettings): string => `${kafkaLibDir(s)}/*`;

/** Resolves the broker's jars from Maven Central once; later runs reuse the cache. */
export const fetchKafka = (s: InfraSettings): void => {
  const libs = kafkaLibDir(s);
  const marker = join(libs, '..', '.complete');
  if (existsSync(marker)) return;
  requireMaven();
  mkdirSync(libs, { recursive: true });
  run(
    'mvn',
    ['-B', '-q', `-Dkafka.version=${versions.kafka}`, 'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies', `-DoutputDirectory=${libs}`, '-DincludeScope=runtime'],
    { cwd: pomDir, what: `fetching Kafka ${versions.kafka} from Maven Central` },
  );
  if (!readdirSync(libs).some((f) => f.startsWith('kafka_2.13-'))) throw new InfraError(`Kafka jars missing in ${libs} after the Maven fetch`);
  writeFileSync(marker, new Date().toISOString());
};

export const serverProperties = (s: InfraSettings, dataDir: string): string => {
  const { AGENTBUS_KAFKA_PORT: port, AGENTBUS_KAFKA_CONTROLLER_PORT: controller, AGENTBUS_KAFKA_SCRAM_PORT: scram } = s.ports;
  const scramLogin = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controller}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${scram},CONTROLLER://127.0.0.1:${controller}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port},SASL_PLAINTEXT://127.0.0.1:${scram}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT',
    `listener.name.sasl_plaintext.sasl.enabled.mechanisms=${scramMechanisms.join(',')}`,
    // The broker side of SCRAM needs a JAAS login module per mechanism but no secret of its own:
    // users and their salted credentials live in the cluster metadata.
    ...scramMechanisms.map((m) => `listener.name.sasl_plaintext.${m.toLowerCase()}.sasl.jaas.config=${scramLogin}`),
    `log.dirs=${join(dataDir, 'data')}`,
    'num.partitions=3',
    // A single node can hold one replica of each internal topic; anything higher leaves the
    // group coordinator unavailable (kafkajs reports "coordinator not available").
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'log.retention.hours=168',
    'message.max.bytes=2097152',
    '',
  ].join('\n');
};

const log4jConfig = (logDir: string): string => `Configuration:
  status: warn
  Appenders:
    Console:
      name: STDOUT
      PatternLayout:
        pattern: "[%d] %p %m (%c)%n"
  Loggers:
    Root:
      level: info
      AppenderRef:
        - ref: STDOUT
    Logger:
      - name: kafka.request.logger
        level: warn
      - name: org.apache.kafka.controller
        level: warn
      - name: state.change.logger
        level: warn
# logs for ${logDir}
`;

/**
 * Kafka's cluster id: 16 random bytes, base64url without padding. Like Kafka's Uuid.randomUuid,
 * never one starting with "-", which the storage tool's argument parser would take for an option.
 */
export const newClusterId = (random: () => Buffer = () => randomBytes(16)): string => {
  for (;;) {
    const id = random().toString('base64url');
    if (!id.startsWith('-')) return id;
  }
};

export const kafkaReady = async (brokers: string[]): Promise<boolean> => {
  const admin = new Kafka({ clientId: 'agentbus-infra', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 1000, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0 || cluster.controller === null) return false;
    // Ready means consumer groups work too: this creates __consumer_offsets on a new broker and
    // waits out "coordinator is loading", which a consumer's first join would otherwise hit.
    await admin.describeGroups(['agentbus-readiness']);
    return true;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
};

export interface ScramCredentials {
  brokers: string[];
  mechanism: 'scram-sha-256';
  username: string;
  password: string;
}

export const scramFile = (s: InfraSettings): string => join(s.stateDir, 'kafka', 'scram.json');
export const scramEndpoint = (s: InfraSettings): string => `127.0.0.1:${s.ports.AGENTBUS_KAFKA_SCRAM_PORT}`;

/** The SCRAM user `up` created; undefined until the first `up`. */
export const scramCredentials = (s: InfraSettings): ScramCredentials | undefined => {
  const file = scramFile(s);
  if (!existsSync(file)) return undefined;
  const { username, password } = JSON.parse(readFileSync(file, 'utf8')) as { username: string; password: string };
  return { brokers: [scramEndpoint(s)], mechanism: 'scram-sha-256', username, password };
};

const ensureScramFile = (s: InfraSettings): ScramCredentials => {
  const file = scramFile(s);
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    // Hex keeps the password free of the ',', '=' and quotes that Kafka's credential syntax parses.
    writeFileSync(file, `${JSON.stringify({ username: scramUser, password: randomBytes(24).toString('hex') }, null, 2)}\n`, { mode: 0o600 });
  }
  chmodSync(file, 0o600);
  return scramCredentials(s)!;
};

type ScramProbe = 'ok' | 'credentials refused' | 'unreachable';

/** One authenticated metadata request over the SCRAM listener. */
export const scramProbe = async (credentials: ScramCredentials): Promise<ScramProbe> => {
  const { brokers, mechanism, username, password } = credentials;
  const admin = new Kafka({
    clientId: 'agentbus-infra',
    brokers,
    sasl: { mechanism, username, password },
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    await admin.describeCluster();
    return 'ok';
  } catch (error) {
    return (error as Error).name === 'KafkaJSSASLAuthenticationError' ? 'credentials refused' : 'unreachable';
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
};

/** Runs a Kafka tool whose arguments or files carry the password; its output never echoes it. */
const runWithSecret = (secret: string, command: string, args: string[], what: string): void => {
  try {
    run(command, args, { what });
  } catch (error) {
    if (error instanceof InfraError) throw new InfraError(error.message.split(secret).join('***'));
    throw error;
  }
};

/**
 * Creates or resets the SCRAM user through the broker's admin API, for a log dir formatted before
 * the SCRAM listener existed or a scram.json that was deleted. The password goes through a 0600
 * file that is removed straight after, never the command line.
 */
const upsertScramUser = (s: InfraSettings, java: string, classpath: string[], credentials: ScramCredentials): void => {
  const file = join(s.stateDir, 'kafka', `scram-${process.pid}.properties`);
  try {
    // Kafka 4.4 rejects two mechanisms for one user in a single request, so one call each.
    for (const mechanism of scramMechanisms) {
      writeFileSync(file, `${mechanism}=password=${credentials.password}\n`, { mode: 0o600 });
      runWithSecret(
        credentials.password,
        java,
        [...classpath, 'org.apache.kafka.tools.ConfigCommand', '--bootstrap-server', `127.0.0.1:${s.ports.AGENTBUS_KAFKA_PORT}`, '--alter', '--add-config-file', file, '--entity-type', 'users', '--entity-name', credentials.username],
        `creating the Kafka SCRAM user ${credentials.username} (${mechanism})`,
      );
    }
  } finally {
    rmSync(file, { force: true });
  }
};

/** Waits until the SCRAM user can log in; credentials reach the listener through metadata, asynchronously. */
const ensureScramUser = async (s: InfraSettings, java: string, classpath: string[], options: { logFile: string; pid: number }): Promise<void> => {
  const credentials = ensureScramFile(s);
  const what = `Kafka SASL/SCRAM login as ${credentials.username} on ${scramEndpoint(s)}`;
  let first = 'unreachable' as ScramProbe;
  await waitFor(what, async () => (first = await scramProbe(credentials)) !== 'unreachable', { timeoutMs: 30_000, ...options });
  if (first === 'ok') return;
  upsertScramUser(s, java, classpath, credentials);
  await waitFor(what, async () => (await scramProbe(credentials)) === 'ok', { timeoutMs: 30_000, ...options });
};

const kafkaMode = `apache-kafka ${versions.kafka} (KRaft, single node)`;

/** `readyTimeoutMs`: a broker restarted after a crash recovers its logs first, which takes longer on a busy machine. */
export const startKafka = async (s: InfraSettings, options: { readyTimeoutMs?: number } = {}): Promise<PartState> => {
  const endpoint = `127.0.0.1:${s.ports.AGENTBUS_KAFKA_PORT}`;
  const dir = join(s.stateDir, 'kafka');
  const props = join(dir, 'server.properties');
  const log4j = join(dir, 'log4j2.yaml');
  const logFile = join(s.stateDir, 'logs', 'kafka.log');
  const classpath = [`-Dlog4j2.configurationFile=${log4j}`, '-cp', kafkaClasspath(s)];

  const existing = readState(s.stateDir).kafka;
  if (existing?.pid && isAlive(existing.pid) && (await kafkaReady([endpoint]).catch(() => false))) {
    const current = existsSync(props) && readFileSync(props, 'utf8') === serverProperties(s, dir);
    if (current) {
      await ensureScramUser(s, requireJava(s.javaHome), classpath, { logFile, pid: existing.pid });
      const state: PartState = { ...existing, mode: kafkaMode, scramEndpoint: scramEndpoint(s) };
      updatePart(s.stateDir, 'kafka', state);
      return state;
    }
    // Started by an older `up` with other listeners: restart it so it matches this checkout.
    await stopProcess(existing.pid, 30_000);
    updatePart(s.stateDir, 'kafka', undefined);
  }

  const java = requireJava(s.javaHome);
  fetchKafka(s);
  await assertPortFree(s.ports.AGENTBUS_KAFKA_PORT, 'Kafka', 'AGENTBUS_KAFKA_PORT');
  await assertPortFree(s.ports.AGENTBUS_KAFKA_CONTROLLER_PORT, 'Kafka controller', 'AGENTBUS_KAFKA_CONTROLLER_PORT');
  await assertPortFree(s.ports.AGENTBUS_KAFKA_SCRAM_PORT, 'Kafka SASL/SCRAM listener', 'AGENTBUS_KAFKA_SCRAM_PORT');

  mkdirSync(dir, { recursive: true });
  writeFileSync(props, serverProperties(s, dir));
  writeFileSync(log4j, log4jConfig(dir));
  const jvm = ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', ...classpath];

  if (!existsSync(join(dir, 'data', 'meta.properties'))) {
    const credentials = ensureScramFile(s);
    const clusterId = newClusterId();
    // StorageTool reads SCRAM users only from its arguments, so the password is on this one
    // short-lived command line; the user is then in the very first metadata the broker loads.
    const scram = scramMechanisms.flatMap((m) => ['--add-scram', `${m}=[name=${credentials.username},password=${credentials.password}]`]);
    runWithSecret(credentials.password, java, [...jvm, 'kafka.tools.StorageTool', 'format', `--cluster-id=${clusterId}`, '-c', props, ...scram], 'formatting the Kafka log directory');
  }
  const pid = startDetached(java, [...jvm, 'kafka.Kafka', props], { logFile });
  try {
    await waitFor('Kafka', () => kafkaReady([endpoint]), { timeoutMs: options.readyTimeoutMs ?? 90_000, logFile, pid });
  } catch (error) {
    // Not left running unrecorded, where no `down` would find it and its ports would block the next `up`.
    await stopProcess(pid, 10_000);
    throw error;
  }
  await ensureScramUser(s, java, classpath, { logFile, pid });
  const state: PartState = { pid, mode: kafkaMode, endpoint, scramEndpoint: scramEndpoint(s), startedAt: new Date().toISOString() };
  updatePart(s.stateDir, 'kafka', state);
  return state;
};

export const stopKafka = async (s: InfraSettings): Promise<boolean> => {
  const state = readState(s.stateDir).kafka;
  if (!state?.pid) return false;
  await stopProcess(state.pid, 30_000);
  updatePart(s.stateDir, 'kafka', undefined);
  return true;
};
