// A private single-node Kafka that enforces ACLs (StandardAuthorizer, nothing allowed without an
// ACL) on SCRAM-SHA-512 users over TLS with its own CA, as the Strimzi listener `scram` does, on
// ports of its own beside the shared broker, which stays untouched. The generated KafkaUsers' ACLs
// are loaded into it the way Strimzi's user operator would.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, Kafka, logLevel, ResourcePatternTypes, type AclEntry } from 'kafkajs';
import { freePort } from '@agentbus/testing';
import { fetchKafka, kafkaClasspath, newClusterId } from '../infra/kafka';
import { loadInfraSettings } from '../infra/settings';
import { requireJava } from '../infra/toolchain';
import type { Acl, KafkaUserResource } from './strimzi';

export { freePort };

export interface AclBroker {
  /** SASL_SSL with SCRAM-SHA-512: every client here is subject to the ACLs. */
  saslBrokers: string;
  /** The PEM of the CA that signed the broker's certificate (KAFKA_SSL_CA_FILE). */
  caFile: string;
  /** PLAINTEXT, whose anonymous principal is a super user: for the test's own setup only. */
  adminBrokers: string;
  passwords: Record<string, string>;
  output: () => string;
  stop(): Promise<void>;
}

const operations: Record<Acl['operations'][number], AclOperationTypes> = {
  Read: AclOperationTypes.READ,
  Write: AclOperationTypes.WRITE,
  Describe: AclOperationTypes.DESCRIBE,
  Create: AclOperationTypes.CREATE,
  DescribeConfigs: AclOperationTypes.DESCRIBE_CONFIGS,
  Alter: AclOperationTypes.ALTER,
  AlterConfigs: AclOperationTypes.ALTER_CONFIGS,
  Delete: AclOperationTypes.DELETE,
  All: AclOperationTypes.ALL,
};
const resourceTypes = { topic: AclResourceTypes.TOPIC, group: AclResourceTypes.GROUP, cluster: AclResourceTypes.CLUSTER } as const;

/** A KafkaUser's `spec.authorization.acls` as Kafka ACL bindings, as Strimzi's user operator writes them. */
export const aclBindings = (user: KafkaUserResource): AclEntry[] =>
  user.spec.authorization.acls.flatMap((acl) =>
    acl.operations.map((operation) => ({
      resourceType: resourceTypes[acl.resource.type],
      resourceName: acl.resource.type === 'cluster' ? 'kafka-cluster' : acl.resource.name!,
      resourcePatternType: acl.resource.patternType === 'prefix' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
      principal: `User:${user.metadata.name}`,
      host: acl.host,
      operation: operations[operation],
      permissionType: AclPermissionTypes.ALLOW,
    })),
  );

/** A CA of its own and a broker certificate for 127.0.0.1 it signed, with openssl. */
const makeCertificates = (dir: string): { caFile: string; keystore: string; keystorePassword: string } => {
  const keystorePassword = randomBytes(12).toString('hex');
  const openssl = (...args: string[]) => {
    const result = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr || result.error?.message}`);
  };
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=agentbus test CA');
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=127.0.0.1');
  openssl('x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.pem', '-days', '1', '-extfile', 'san.cnf');
  openssl('pkcs12', '-export', '-in', 'broker.pem', '-inkey', 'broker.key', '-certfile', 'ca.pem', '-out', 'broker.p12', '-passout', `pass:${keystorePassword}`, '-name', 'kafka');
  return { caFile: join(dir, 'ca.pem'), keystore: join(dir, 'broker.p12'), keystorePassword };
};

export const startAclBroker = async (users: readonly KafkaUserResource[]): Promise<AclBroker> => {
  const settings = loadInfraSettings();
  fetchKafka(settings);
  const java = requireJava(settings.javaHome);
  const dir = mkdtempSync(join(tmpdir(), 'agentbus-acl-broker-'));
  const [plain, sasl, controller] = [await freePort(), await freePort(), await freePort()];
  const passwords = Object.fromEntries(users.map((u) => [u.metadata.name, randomBytes(12).toString('hex')]));
  const { caFile, keystore, keystorePassword } = makeCertificates(dir);
  const scramLogin = 'org.apache.kafka.common.security.scram.ScramLoginModule required;';
  const props = join(dir, 'server.properties');
  writeFileSync(
    props,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@127.0.0.1:${controller}`,
      `listeners=PLAINTEXT://127.0.0.1:${plain},SASL_SSL://127.0.0.1:${sasl},CONTROLLER://127.0.0.1:${controller}`,
      `advertised.listeners=PLAINTEXT://127.0.0.1:${plain},SASL_SSL://127.0.0.1:${sasl}`,
      'controller.listener.names=CONTROLLER',
      'inter.broker.listener.name=PLAINTEXT',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT',
      'listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512',
      `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${scramLogin}`,
      'listener.name.sasl_ssl.ssl.keystore.type=PKCS12',
      `listener.name.sasl_ssl.ssl.keystore.location=${keystore}`,
      `listener.name.sasl_ssl.ssl.keystore.password=${keystorePassword}`,
      'authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer',
      'allow.everyone.if.no.acl.found=false',
      // The loopback PLAINTEXT listener (the controller and this test's setup) is anonymous.
      'super.users=User:ANONYMOUS',
      `log.dirs=${join(dir, 'data')}`,
      'offsets.topic.replication.factor=1',
      'offsets.topic.num.partitions=4',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'auto.create.topics.enable=false',
      '',
    ].join('\n'),
  );
  const log4j = join(dir, 'log4j2.yaml');
  writeFileSync(log4j, 'Configuration:\n  Appenders:\n    Console:\n      name: STDOUT\n      PatternLayout:\n        pattern: "[%d] %p %m (%c)%n"\n  Loggers:\n    Root:\n      level: warn\n      AppenderRef:\n        - ref: STDOUT\n');
  const jvm = ['-Xms128m', '-Xmx512m', `-Dlog4j2.configurationFile=${log4j}`, '-cp', kafkaClasspath(settings)];
  const scram = Object.entries(passwords).flatMap(([name, password]) => ['--add-scram', `SCRAM-SHA-512=[name=${name},password=${password}]`]);
  const format = spawnSync(java, [...jvm, 'kafka.tools.StorageTool', 'format', `--cluster-id=${newClusterId()}`, '-c', props, ...scram], { encoding: 'utf8' });
  if (format.status !== 0) throw new Error(`formatting the ACL broker failed: ${format.stdout}${format.stderr}`);

  const child: ChildProcess = spawn(java, [...jvm, 'kafka.Kafka', props], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };

  const kafka = new Kafka({ brokers: [`127.0.0.1:${plain}`], clientId: 'acl-broker-setup', logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  const admin = kafka.admin();
  // Generous: a cold broker beside a busy test run takes minutes to answer its first request.
  const deadline = Date.now() + 180_000;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the ACL broker exited with ${child.exitCode}:\n${out.slice(-3000)}`);
      const ready = await admin
        .connect()
        .then(() => admin.describeCluster())
        .then(
          (cluster) => cluster.controller !== null,
          () => false,
        );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`the ACL broker did not answer within 180 s:\n${out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    await admin.createAcls({ acl: users.flatMap(aclBindings) });
  } catch (error) {
    await admin.disconnect().catch(() => undefined);
    await stop();
    throw error;
  }
  await admin.disconnect();
  return { saslBrokers: `127.0.0.1:${sasl}`, caFile, adminBrokers: `127.0.0.1:${plain}`, passwords, output: () => out, stop };
};
