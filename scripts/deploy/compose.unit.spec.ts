import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentbusTopics } from '@agentbus/kafka';
import { composeConfig, composeDurationMs, composeFile, type ComposeFile } from './compose';
import { deployedServices } from './deployedServices';
import { repoRoot } from './manifests';
import { kafkaTopics } from './strimzi';

// The console's logins come from the environment of `docker compose`; these stand in for yours.
const consoleLogins = { CONSOLE_USERS: 'olga:operator:00:00', CONSOLE_SESSION_SECRET: 'a-test-secret-that-is-long-enough-0123456789' };

describe('docker compose', () => {
  let config: ComposeFile;
  beforeAll(() => {
    config = composeConfig([composeFile], consoleLogins);
  });

  it('validates with docker-compose config, Confluent registry variant included', () => {
    expect(Object.keys(config.services).sort()).toEqual(['audit-sink', 'console', 'demo-agents', 'kafka', 'keys', 'postgres', 'presence-monitor', 'projector', 'registry', 'saga-orchestrator', 'setup']);
    const confluent = composeConfig([composeFile, join(repoRoot, 'infra', 'compose', 'confluent-registry.yml')], { ...consoleLogins, SCHEMA_REGISTRY_URL: 'http://registry:8080' });
    expect(confluent.services.registry!.image).toMatch(/^confluentinc\/cp-schema-registry:/);
    expect(confluent.services.projector!.environment!.SCHEMA_REGISTRY_URL).toBe('http://registry:8080');
  });

  it('runs Kafka in KRaft mode from the official image, the registry and Postgres, on named volumes', () => {
    const kafka = config.services.kafka!;
    expect(kafka.image).toMatch(/^apache\/kafka:/);
    expect(kafka.environment).toMatchObject({ KAFKA_PROCESS_ROLES: 'broker,controller', KAFKA_CONTROLLER_QUORUM_VOTERS: `${kafka.environment!.KAFKA_NODE_ID}@kafka:9093` });
    // kafka-storage format takes a UUID as 22 characters of URL-safe base64.
    const clusterId = String(kafka.environment!.CLUSTER_ID);
    expect(Buffer.from(clusterId, 'base64url').toString('base64url')).toBe(clusterId);
    expect(Buffer.from(clusterId, 'base64url')).toHaveLength(16);
    expect(config.services.registry!.image).toMatch(/^apicurio\/apicurio-registry:/);
    expect(config.services.postgres!.image).toMatch(/^postgres:/);
    const mounts = ['kafka', 'postgres'].map((name) => (config.services[name]!.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':')[0] : v.source)));
    expect(mounts.flat().filter((source) => Object.keys(config.volumes ?? {}).includes(source!)).sort()).toEqual(['kafka-data', 'postgres-data']);
  });

  it('builds every agentbus image from a Dockerfile in the repository (the rest are pinned public images), and health-checks every long-running service', () => {
    for (const [name, service] of Object.entries(config.services)) {
      if (service.image?.startsWith('agentbus/')) expect(existsSync(join(service.build!.context, service.build!.dockerfile))).toBe(true);
      else expect(service.image).toMatch(/^[\w./-]+:(?!latest$)[\w.-]+$/);
      if (name !== 'setup' && name !== 'keys') expect(service.healthcheck?.test.length).toBeGreaterThan(0);
    }
    for (const service of deployedServices) {
      const composed = config.services[service.name]!;
      expect(composed.build!.dockerfile).toBe(`services/${service.name}/Dockerfile`);
      expect(composed.environment![service.portVariable]).toBe(service.httpPort);
      expect(composed.healthcheck!.test.join(' ')).toContain(`http://127.0.0.1:${service.httpPort}/health`);
    }
    expect(config.services['demo-agents']!.profiles).toEqual(['demo']);
  });

  it('starts in health-gated order: setup after the infrastructure is healthy, the signing keys after setup, the services after the keys', () => {
    expect(config.services.setup!.depends_on).toEqual({
      kafka: { condition: 'service_healthy' },
      registry: { condition: 'service_healthy' },
      postgres: { condition: 'service_healthy' },
    });
    expect(config.services.setup!.restart).toBe('no');
    expect(config.services.keys!.depends_on).toEqual({ setup: { condition: 'service_completed_successfully' } });
    for (const service of deployedServices) expect(config.services[service.name]!.depends_on!.keys).toEqual({ condition: 'service_completed_successfully' });
  });

  it('gives each service that publishes its own signing key from the generated agent-keys volume, never from the repository', () => {
    for (const name of ['projector', 'saga-orchestrator', 'presence-monitor', 'console']) {
      const service = config.services[name]!;
      expect(service.environment!.AGENTBUS_SIGNING_KEY_FILE).toBe(`/keys/${name}.key`);
      expect(JSON.stringify(service.volumes)).toContain('agent-keys');
      expect(config.services.keys!.command!.join('\n')).toContain(`keys ensure --out /keys/${name}.key`);
    }
    expect(Object.keys(config.volumes ?? {})).toContain('agent-keys');
  });

  it('moves every Kafka client to an existing cluster with SASL/SCRAM, TLS and its CA when existing-kafka.yml is added', () => {
    const external = composeConfig([composeFile, join(repoRoot, 'infra', 'compose', 'existing-kafka.yml')], {
      ...consoleLogins,
      KAFKA_BROKERS: 'k1.example.com:9094',
      KAFKA_SASL_USERNAME: 'agentbus',
      KAFKA_SASL_PASSWORD: 'secret',
      KAFKA_CA_FILE: '/etc/ssl/kafka-ca.pem',
    });
    for (const name of ['setup', 'demo-agents', ...deployedServices.map((s) => s.name)]) {
      const service = external.services[name]!;
      expect(service.environment).toMatchObject({
        KAFKA_BROKERS: 'k1.example.com:9094',
        KAFKA_SSL: 'true',
        KAFKA_SSL_CA_FILE: '/etc/agentbus/kafka-ca.crt',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        KAFKA_SASL_USERNAME: 'agentbus',
        KAFKA_SASL_PASSWORD: 'secret',
      });
      expect(service.volumes).toContain('/etc/ssl/kafka-ca.pem:/etc/agentbus/kafka-ca.crt:ro');
    }
    expect(external.services.kafka!.healthcheck!.test.join(' ')).toContain('--bootstrap-server $$KAFKA_BROKERS --command-config /tmp/client.properties');
    // A cold JVM's TLS handshake and SCRAM login take longer than the tool's and the base check's defaults.
    expect(external.services.kafka!.command![0]).toContain("'socket.connection.setup.timeout.ms=60000'");
    expect(composeDurationMs(external.services.kafka!.healthcheck!.timeout!)).toBeGreaterThanOrEqual(60_000);
  });

  it('runs the console with the logins and session secret of your environment, refusing to start without them, and lets its key sign operator actions', () => {
    expect(config.services.console!.environment).toMatchObject(consoleLogins);
    // `:?` refuses an empty value as well as an unset one, whatever the caller's environment holds.
    const without = (missing: keyof typeof consoleLogins) => () => composeConfig([composeFile], { ...consoleLogins, [missing]: '' });
    expect(without('CONSOLE_USERS')).toThrow(/set CONSOLE_USERS to the console's user:role:salt:hash entries; make one with `npx tsx services\/console\/src\/hashPassword.ts/);
    expect(without('CONSOLE_SESSION_SECRET')).toThrow(/set CONSOLE_SESSION_SECRET to at least 32 random characters/);
    expect(config.services.keys!.command!.join('\n')).toContain("keys ensure --out /keys/console.key --name console --allow 'operator.action'");
  });

  it('reads compose durations as config prints them', () => {
    expect([composeDurationMs('90s'), composeDurationMs('1m30s'), composeDurationMs('500ms'), composeDurationMs('1h')]).toEqual([90_000, 90_000, 500, 3_600_000]);
    expect(() => composeDurationMs('90')).toThrow('not a compose duration: "90"');
  });

  it('sets up the same topics as the generated KafkaTopics, with the same settings but for the replica count', () => {
    const setup = config.services.setup!;
    expect(setup.command).toEqual(['topics', 'setup']);
    const env = setup.environment!;
    const composeTopics = agentbusTopics({ prefix: String(env.AGENTBUS_TOPIC_PREFIX), partitions: Number(env.AGENTBUS_TOPIC_PARTITIONS), replicationFactor: Number(env.AGENTBUS_TOPIC_REPLICATION) });
    const strimzi = kafkaTopics();
    expect(composeTopics.map((t) => t.topic)).toEqual(strimzi.map((t) => t.spec.topicName));
    for (const [i, topic] of composeTopics.entries()) expect({ ...topic.configs, 'min.insync.replicas': 2 }).toEqual(strimzi[i]!.spec.config);
    for (const service of [...deployedServices.map((s) => s.name), 'demo-agents']) expect(config.services[service]!.environment!.AGENTBUS_TOPIC_PREFIX).toBe(env.AGENTBUS_TOPIC_PREFIX);
  });
});

describe('Dockerfiles', () => {
  const images = [...deployedServices.map((s) => ({ name: s.name, port: s.httpPort, variable: s.portVariable })), { name: 'cli', port: undefined, variable: undefined }];

  it.each(images.map((i) => [i.name, i] as const))('%s: builds only its own service through Nx, runs as a non-root uid, checks its health', (name, image) => {
    const dockerfile = readFileSync(join(repoRoot, 'services', name, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`RUN npx nx run ${name}:build\n`);
    expect(dockerfile).toContain(`COPY --from=build /src/dist/services/${name}/ ./`);
    expect(dockerfile).toMatch(/^FROM node:\$\{NODE_VERSION\}-alpine AS runtime$/m);
    // The LTS line CI also tests on (scripts/node/ltsNode.ts).
    expect(dockerfile).toMatch(/^ARG NODE_VERSION=24$/m);
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    const project = JSON.parse(readFileSync(join(repoRoot, 'services', name, 'project.json'), 'utf8')) as { targets?: { build?: { options?: { command?: string } } } };
    expect(project.targets?.build?.options?.command).toBe(`tsx scripts/deploy/bundle.ts ${name}`);
    if (image.port === undefined) {
      expect(dockerfile).toMatch(/^HEALTHCHECK NONE$/m);
      return;
    }
    expect(dockerfile).toContain(`ENV NODE_ENV=production LOG_FORMAT=json AGENTBUS_SCHEMAS_DIR=/app/schemas ${image.variable}=${image.port}`);
    expect(dockerfile).toContain(`EXPOSE ${image.port}\n`);
    expect(dockerfile).toContain(`process.env.${image.variable}+'/health'`);
    expect(readFileSync(join(repoRoot, 'services', name, 'src', 'config.ts'), 'utf8')).toContain(`${image.variable}:`);
  });

  it.each(deployedServices.filter((s) => s.webApp).map((s) => [s.name, s.webApp!] as const))('%s: builds its web app with Vite and serves it from the folder it copies it to', (name, webApp) => {
    const dockerfile = readFileSync(join(repoRoot, 'services', name, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain(`RUN npx vite build ${webApp.dir}\n`);
    const copied = new RegExp(`^COPY --from=build /src/${webApp.dir}/dist/ \\./(\\w+)/$`, 'm').exec(dockerfile)?.[1];
    expect(dockerfile).toMatch(new RegExp(`^ENV [^\n]* ${webApp.variable}=/app/${copied}$`, 'm'));
    expect(readFileSync(join(repoRoot, 'services', name, 'src', 'config.ts'), 'utf8')).toContain(`${webApp.variable}:`);
  });

  it('send no node_modules, build output or local state to the build', () => {
    const ignored = readFileSync(join(repoRoot, '.dockerignore'), 'utf8').split('\n');
    expect(ignored).toEqual(expect.arrayContaining(['**/node_modules', 'dist', 'services/*/web/dist', '.git', '.agentbus', '.nx']));
  });
});
