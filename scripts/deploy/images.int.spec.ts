// What each image runs, run here as the image would run it: the bundle from `nx run <name>:build`
// and schemas/ in a folder of their own, no node_modules anywhere above, `node main.js`. Kafka is a
// private broker that enforces the generated KafkaUsers' ACLs on SCRAM-SHA-512 logins over TLS with
// a CA of its own, as Strimzi's cluster would (the same KAFKA_* settings as the Kubernetes
// ConfigMap); the registry and Postgres are the shared ones. The CLI does the setup step as the
// operators' user and the Kubernetes migration Job, each service runs as its own Kafka user and
// passes its Dockerfile's HEALTHCHECK, and the demo agents complete a saga through all four; the
// console serves its web app and replays a dead letter as its own user.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { deadLetterMessage } from '@agentbus/bus';
import { agentbusTopics } from '@agentbus/kafka';
import { createDatabase } from '@agentbus/postgres-sink';
import { createTestDatabase, integrationConfig, uniquePrefix, type TestDatabase } from '@agentbus/testing';
import type { Knex } from 'knex';
import { Kafka, logLevel } from 'kafkajs';
import { kafkaClasspath } from '../infra/kafka';
import { loadInfraSettings } from '../infra/settings';
import { requireJava } from '../infra/toolchain';
import { freePort, startAclBroker, type AclBroker } from './aclBroker.spec-support';
import { bundleEntry, bundleService } from './bundle';
import { composeConfig, composeDurationMs, composeFile } from './compose';
import { consoleUserEntry, oneTimePassword, sessionSecret } from './consoleUsers';
import { deployedServices } from './deployedServices';
import { kustomize, parseYamlDocuments, repoRoot, type K8sObject } from './manifests';
import { clusterSettings, kafkaUsers, operatorUser } from './strimzi';

jest.setTimeout(480_000);

const config = integrationConfig();
const prefix = uniquePrefix('deploy');
const users = kafkaUsers({ ...clusterSettings, prefix });
// The Kafka security settings of the prod overlay's ConfigMap, so the images run here as they would there.
const k8sConfig = (): Record<string, string> =>
  parseYamlDocuments<K8sObject>(kustomize('prod')).find((o) => o.kind === 'ConfigMap')!.data as Record<string, string>;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const consolePassword = oneTimePassword();
const consoleLogins = { CONSOLE_USERS: consoleUserEntry('olga', 'operator', consolePassword), CONSOLE_SESSION_SECRET: sessionSecret() };

interface Running {
  name: string;
  child: ChildProcess;
  output: () => string;
  port: number;
  dir: string;
}

/** The runtime stage of a Dockerfile: WORKDIR /app with schemas/, the bundle's files and a web app's in web/. */
const imageRoot = (name: string): string => {
  const dir = mkdtempSync(join(tmpdir(), `agentbus-image-${name}-`));
  cpSync(join(repoRoot, 'schemas'), join(dir, 'schemas'), { recursive: true });
  cpSync(dirname(bundleEntry(name).outfile), dir, { recursive: true });
  const webApp = deployedServices.find((s) => s.name === name)?.webApp;
  if (webApp) cpSync(join(repoRoot, webApp.dir, 'dist'), join(dir, 'web'), { recursive: true });
  return dir;
};

/** The variables an image gets in compose or Kubernetes; Kafka as the given user, or as the test's super user. */
const imageEnv = (dir: string, kafkaUser: string | undefined, extra: Record<string, string>): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  NODE_ENV: 'production',
  LOG_FORMAT: 'json',
  AGENTBUS_SCHEMAS_DIR: join(dir, 'schemas'),
  ...(kafkaUser
    ? {
        KAFKA_BROKERS: broker.saslBrokers,
        KAFKA_SSL: kafkaSecurity.KAFKA_SSL!,
        KAFKA_SSL_CA_FILE: broker.caFile,
        KAFKA_SASL_MECHANISM: kafkaSecurity.KAFKA_SASL_MECHANISM!,
        KAFKA_SASL_USERNAME: kafkaUser,
        KAFKA_SASL_PASSWORD: broker.passwords[kafkaUser]!,
      }
    : { KAFKA_BROKERS: broker.adminBrokers }),
  SCHEMA_REGISTRY_URL: config.registry.url,
  DATABASE_URL: database.url,
  AGENTBUS_TOPIC_PREFIX: prefix,
  AGENTBUS_TOPIC_PARTITIONS: '2',
  ...extra,
});

/** The Dockerfile's HEALTHCHECK command, as the container runtime runs it (`/bin/sh -c`). */
const healthcheckOf = (name: string): string => {
  const dockerfile = readFileSync(join(repoRoot, 'services', name, 'Dockerfile'), 'utf8');
  const command = /^HEALTHCHECK [^\n]*\\\n\s+CMD (.+)$/m.exec(dockerfile)?.[1];
  if (!command) throw new Error(`no HEALTHCHECK CMD in services/${name}/Dockerfile`);
  return command;
};

let broker: AclBroker;
let kafkaSecurity: Record<string, string>;
let database: TestDatabase;
let db: Knex;
const running: Running[] = [];
let cliDir: string;

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['main.js', ...args], { cwd: cliDir, env: imageEnv(cliDir, operatorUser, { LOG_LEVEL: 'error' }), encoding: 'utf8', timeout: 90_000 });

const start = async (name: string, kafkaUser: string | undefined, env: Record<string, string>, portVariable: string): Promise<Running> => {
  const dir = imageRoot(name);
  const port = await freePort();
  const webApp = deployedServices.find((s) => s.name === name)?.webApp;
  const own = { ...env, [portVariable]: String(port), ...(webApp ? { [webApp.variable]: join(dir, 'web') } : {}) };
  const child = spawn(process.execPath, ['--enable-source-maps', 'main.js'], { cwd: dir, env: imageEnv(dir, kafkaUser, own), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const service = { name, child, output: () => out, port, dir };
  running.push(service);
  return service;
};

const healthy = async (service: Running, timeoutMs = 90_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.child.exitCode !== null) throw new Error(`${service.name} exited with ${service.child.exitCode}:\n${service.output().slice(-3000)}`);
    const status = await fetch(`http://127.0.0.1:${service.port}/health`).then((r) => r.status, () => 0);
    if (status === 200) return;
    if (Date.now() > deadline) throw new Error(`${service.name} not healthy within ${timeoutMs} ms (last status ${status}):\n${service.output().slice(-3000)}`);
    await sleep(250);
  }
};

beforeAll(async () => {
  kafkaSecurity = k8sConfig();
  expect(kafkaSecurity).toMatchObject({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512' });
  broker = await startAclBroker(users);
  database = await createTestDatabase('deploy', config.databaseUrl);
  db = createDatabase({ url: database.url, applicationName: 'deploy-test' });
  for (const name of ['cli', ...deployedServices.map((s) => s.name), 'demo-agents']) await bundleService(name);
  for (const { webApp } of deployedServices) {
    if (webApp && !existsSync(join(repoRoot, webApp.dir, 'dist', 'index.html'))) {
      const build = spawnSync(process.execPath, [join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', join(repoRoot, webApp.dir)], { stdio: 'inherit' });
      if (build.status !== 0) throw new Error(`vite build of ${webApp.dir} failed`);
    }
  }
  cliDir = imageRoot('cli');
});

afterAll(async () => {
  await Promise.all(
    running.map(
      (s) =>
        new Promise<void>((resolve) => {
          if (s.child.exitCode !== null || s.child.signalCode !== null) return resolve();
          const kill = setTimeout(() => s.child.kill('SIGKILL'), 20_000);
          s.child.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          s.child.kill('SIGTERM');
        }),
    ),
  );
  for (const dir of [cliDir, ...running.map((s) => s.dir)]) if (dir) rmSync(dir, { recursive: true, force: true });
  await db?.destroy();
  await database?.drop();
  await broker?.stop();
});

describe('the images, run from their bundles alone', () => {
  it('the CLI image does compose setup as the operators\' Kafka user: topics, schemas and read models', () => {
    const result = cli('topics', 'setup', '--json');
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const setup = JSON.parse(result.stdout) as { topics: string[]; createdTopics: string[]; subjects: unknown[] };
    expect(setup.topics).toEqual(agentbusTopics({ prefix, partitions: 2, replicationFactor: 1 }).map((t) => t.topic));
    expect(setup.createdTopics).toEqual(setup.topics);
    expect(setup.subjects.length).toBeGreaterThan(10);
  });

  it('the CLI image does the Kubernetes migration Job, idempotently', async () => {
    const result = cli('migrate', '--register-schemas', '--json');
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ readModels: { schema: 'read_models_g1', generation: 1 } });
    expect(Number((await db.raw('select count(*)::int as n from read.tasks')).rows[0].n)).toBe(0);
  });

  it('every service starts, answers /health and passes its Dockerfile HEALTHCHECK; the demo agents drive sagas through them', async () => {
    // Default consumer groups, <prefix>.<service>: the only ones the users' ACLs allow.
    const own: Record<string, Record<string, string>> = {
      projector: { PROJECTOR_SESSION_TIMEOUT_MS: '6000' },
      'saga-orchestrator': { SAGA_ORCHESTRATOR_SESSION_TIMEOUT_MS: '6000' },
      'presence-monitor': { PRESENCE_MONITOR_SESSION_TIMEOUT_MS: '6000' },
      'audit-sink': { AUDIT_SINK_SESSION_TIMEOUT_MS: '6000' },
      console: consoleLogins,
    };
    const services = [];
    for (const service of deployedServices) services.push(await start(service.name, service.name, own[service.name]!, service.portVariable));
    for (const service of services) await healthy(service);
    for (const [i, service] of services.entries()) {
      const variable = deployedServices[i]!.portVariable;
      const check = spawnSync('/bin/sh', ['-c', healthcheckOf(service.name)], { env: { PATH: process.env.PATH, [variable]: String(service.port) }, encoding: 'utf8', timeout: 10_000 });
      expect({ service: service.name, status: check.status }).toEqual({ service: service.name, status: 0 });
    }

    // The demo agents are no deployed service and have no KafkaUser: they use the super user.
    const demo = await start('demo-agents', undefined, { DEMO_INTERVAL_MS: '1000', DEMO_FAIL_EVERY: '0' }, 'DEMO_HTTP_PORT');
    await healthy(demo);
    const finished = async () =>
      Number((await db.raw(`select count(*)::int as n from read.events where type in ('saga.completed', 'saga.failed', 'saga.compensated')`)).rows[0].n);
    const deadline = Date.now() + 120_000;
    while ((await finished()) === 0) {
      if (Date.now() > deadline) {
        const seen = (await db.raw('select type, count(*)::int as n from read.events group by type order by type')).rows;
        const lastFailure = (await db.raw(`select payload from read.events where type = 'saga.step.failed' order by recorded_at desc limit 1`)).rows[0];
        throw new Error(`no saga finished within 120 s; events projected: ${JSON.stringify(seen)}; last step failure: ${JSON.stringify(lastFailure)}\n${running.map((s) => `--- ${s.name}\n${s.output().slice(-1500)}`).join('\n')}`);
      }
      await sleep(500);
    }
    const completed = Number((await db.raw(`select count(*)::int as n from read.events where type = 'saga.completed'`)).rows[0].n);
    expect(completed).toBeGreaterThan(0);
  });

  it('lets a service write only the topics its KafkaUser grants', async () => {
    const produce = async (user: string, category: string) => {
      const kafka = new Kafka({
        brokers: [broker.saslBrokers],
        clientId: `acl-probe-${user}`,
        ssl: { ca: [readFileSync(broker.caFile, 'utf8')] },
        sasl: { mechanism: 'scram-sha-512', username: user, password: broker.passwords[user]! },
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
      });
      const producer = kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      try {
        await producer.send({ topic: `${prefix}.${category}`, messages: [{ value: 'acl probe' }] });
        return 'written';
      } catch (error) {
        return (error as { type?: string }).type ?? (error as Error).message;
      } finally {
        await producer.disconnect();
      }
    };
    expect(await produce('projector', 'task')).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await produce('presence-monitor', 'task')).toBe('TOPIC_AUTHORIZATION_FAILED');
    expect(await produce('audit-sink', 'dlq')).toBe('written');
  });

  it('the console serves its web app and, as its own Kafka user, replays a dead letter to its source topic', async () => {
    const service = running.find((s) => s.name === 'console')!;
    const url = `http://127.0.0.1:${service.port}`;
    const shell = await fetch(`${url}/sagas`);
    expect(shell.status).toBe(200);
    expect(shell.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await shell.text()).toContain('<div id="root"></div>');

    // A dead letter of a record in the task topic, as a subscription would have written it.
    const admin = new Kafka({ brokers: [broker.adminBrokers], clientId: 'deploy-test', logLevel: logLevel.NOTHING });
    const producer = admin.producer();
    await producer.connect();
    const original = { key: Buffer.from('replayed-by-the-console'), value: Buffer.from('not avro'), headers: {}, offset: '0', timestamp: String(Date.now()), attributes: 0 };
    const failure = { error: new Error('poison'), attempts: 1, subscription: 'deploy-test', service: 'deploy-test', failedAt: Date.now() };
    const [sent] = await producer.send({ topic: `${prefix}.dlq`, messages: [deadLetterMessage(original, { topic: `${prefix}.task`, partition: 0 }, failure)] });
    await producer.disconnect();

    const login = await fetch(`${url}/api/login`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ user: 'olga', password: consolePassword }) });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const replay = await fetch(`${url}/api/dead-letters/replay`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Cookie: cookie },
      body: JSON.stringify({ refs: [`${sent!.partition}:${sent!.baseOffset}`] }),
    });
    expect({ status: replay.status, body: await replay.json(), log: replay.status === 200 ? '' : service.output().slice(-2000) }).toEqual({
      status: 200,
      body: { matchingDeadLetters: 1, republished: 1, sourceRecords: [`${prefix}.task/0/0`] },
      log: '',
    });
  });

  it("compose's existing-kafka probe logs in to a SASL/SCRAM + TLS cluster, and fails with a wrong password", () => {
    // The override's kafka service, run here: its command writes the client config, its health check
    // runs Kafka's broker-api-versions tool with it (the image's script, called by its class here)
    // within the check's own compose timeout, as the container runtime would.
    const probe = (password: string): { status: number | null; stderr: string } => {
      const external = composeConfig([composeFile, join(repoRoot, 'infra', 'compose', 'existing-kafka.yml')], {
        ...consoleLogins,
        KAFKA_BROKERS: broker.saslBrokers,
        KAFKA_SASL_USERNAME: operatorUser,
        KAFKA_SASL_PASSWORD: password,
        KAFKA_CA_FILE: broker.caFile,
      }).services.kafka!;
      const dir = mkdtempSync(join(tmpdir(), 'agentbus-probe-'));
      try {
        const local = (text: string) => text.replaceAll('$$', '$').replaceAll('/etc/agentbus/kafka-ca.crt', broker.caFile).replaceAll('/tmp/client.properties', join(dir, 'client.properties'));
        const script = local(external.command![0]!).replace('exec sleep infinity', '');
        const env = { PATH: process.env.PATH, ...Object.fromEntries(Object.entries(external.environment!).map(([k, v]) => [k, String(v)])) };
        expect(spawnSync('bash', ['-c', script], { env, encoding: 'utf8' }).status).toBe(0);
        const check = local(external.healthcheck!.test[1]!).replace(
          '/opt/kafka/bin/kafka-broker-api-versions.sh',
          `${requireJava(loadInfraSettings().javaHome)} -cp '${kafkaClasspath(loadInfraSettings())}' org.apache.kafka.tools.BrokerApiVersionsCommand`,
        );
        writeFileSync(join(dir, 'check.sh'), check);
        const { status, stderr } = spawnSync('bash', [join(dir, 'check.sh')], { env, encoding: 'utf8', timeout: composeDurationMs(external.healthcheck!.timeout!) });
        return { status, stderr };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    expect(probe(broker.passwords[operatorUser]!)).toMatchObject({ status: 0 });
    const refused = probe('not-the-password');
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512/);
  });
});
