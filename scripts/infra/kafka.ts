import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { InfraError } from './infraError';
import { assertPortFree, isAlive, run, startDetached, stopProcess, waitFor } from './processes';
import { repoRoot, versions, type InfraSettings } from './settings';
import { readState, updatePart, type PartState } from './state';
import { javaBinary, requireJava, requireMaven } from './toolchain';

const pomDir = join(repoRoot, 'infra', 'local', 'kafka');

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

const serverProperties = (s: InfraSettings, dataDir: string): string => {
  const { AGENTBUS_KAFKA_PORT: port, AGENTBUS_KAFKA_CONTROLLER_PORT: controller } = s.ports;
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controller}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controller}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
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

export const kafkaReady = async (brokers: string[]): Promise<boolean> => {
  const admin = new Kafka({ clientId: 'agentbus-infra', brokers, logLevel: logLevel.NOTHING, connectionTimeout: 1000, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
};

export const startKafka = async (s: InfraSettings): Promise<PartState> => {
  const endpoint = `127.0.0.1:${s.ports.AGENTBUS_KAFKA_PORT}`;
  const existing = readState(s.stateDir).kafka;
  if (existing?.pid && isAlive(existing.pid) && (await kafkaReady([endpoint]).catch(() => false))) return existing;

  const java = requireJava(s.javaHome);
  fetchKafka(s);
  await assertPortFree(s.ports.AGENTBUS_KAFKA_PORT, 'Kafka', 'AGENTBUS_KAFKA_PORT');
  await assertPortFree(s.ports.AGENTBUS_KAFKA_CONTROLLER_PORT, 'Kafka controller', 'AGENTBUS_KAFKA_CONTROLLER_PORT');

  const dir = join(s.stateDir, 'kafka');
  mkdirSync(dir, { recursive: true });
  const props = join(dir, 'server.properties');
  const log4j = join(dir, 'log4j2.yaml');
  writeFileSync(props, serverProperties(s, dir));
  writeFileSync(log4j, log4jConfig(dir));
  const jvm = ['-Xms256m', '-Xmx1g', '-XX:+UseG1GC', `-Dlog4j2.configurationFile=${log4j}`, '-cp', kafkaClasspath(s)];

  if (!existsSync(join(dir, 'data', 'meta.properties'))) {
    // Kafka's cluster id is 16 random bytes, base64url without padding.
    const clusterId = randomBytes(16).toString('base64url');
    run(javaBinary(s.javaHome), [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props], {
      what: 'formatting the Kafka log directory',
    });
  }
  const logFile = join(s.stateDir, 'logs', 'kafka.log');
  const pid = startDetached(java, [...jvm, 'kafka.Kafka', props], { logFile });
  await waitFor('Kafka', () => kafkaReady([endpoint]), { timeoutMs: 90_000, logFile, pid });
  const state: PartState = { pid, mode: `apache-kafka ${versions.kafka} (KRaft, single node)`, endpoint, startedAt: new Date().toISOString() };
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
