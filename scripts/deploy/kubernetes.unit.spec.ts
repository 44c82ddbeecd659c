import { stringify } from 'yaml';
import { deployedServices } from './deployedServices';
import { isStrimzi, kubernetesSchemaProblems, kustomize, overlays, parseYamlDocuments, type K8sObject } from './manifests';
import { operatorModelProblems } from './operatorModel';
import { clusterSettings, kafkaTopics, kafkaUsers } from './strimzi';

interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: { name: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  envFrom?: { configMapRef?: { name: string } }[];
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}
interface PodSpec {
  containers: Container[];
  securityContext?: { runAsNonRoot?: boolean };
  affinity?: { podAntiAffinity?: { preferredDuringSchedulingIgnoredDuringExecution?: { podAffinityTerm: { labelSelector: { matchLabels: Record<string, string> } } }[] } };
  volumes?: { secret?: { secretName: string } }[];
}
const podSpec = (o: K8sObject): PodSpec => (o.spec as { template: { spec: PodSpec } }).template.spec;
const byKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const named = (objects: K8sObject[], kind: string, name: string): K8sObject => {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the rendered overlay`);
  return found;
};

// Secrets are referenced, never committed: these are created by the operator or by hand (docs/deploy.md).
const strimziSecrets = new Set([...kafkaUsers().map((u) => u.metadata.name), `${clusterSettings.cluster}-cluster-ca-cert`]);
const handMadeSecrets = new Set([
  'agentbus-database',
  'agentbus-registry-database',
  ...deployedServices.filter((s) => s.signs).map((s) => `agentbus-signing-${s.name}`),
  ...deployedServices.flatMap((s) => (s.secretEnv ? [s.secretEnv.secret] : [])),
]);

describe.each(overlays)('kustomize overlay %s', (overlay) => {
  let rendered: string;
  let objects: K8sObject[];
  beforeAll(() => {
    rendered = kustomize(overlay);
    objects = parseYamlDocuments<K8sObject>(rendered);
  });

  it('renders with kubectl kustomize, everything in one namespace', () => {
    expect(objects.length).toBeGreaterThan(20);
    const namespace = named(objects, 'Namespace', overlay === 'dev' ? 'agentbus-dev' : 'agentbus').metadata.name;
    expect(objects.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== namespace).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
  });

  it('validates every Kubernetes object against the Kubernetes API schemas', () => {
    expect(kubernetesSchemaProblems(objects)).toEqual([]);
  });

  it('binds every object, Strimzi resources included, into the model classes of its operator, with no unknown field', () => {
    const { problems, summary } = operatorModelProblems(rendered);
    expect(problems).toEqual([]);
    expect(summary).toBe(`checked ${objects.length} objects, 0 problems`);
    expect(objects.filter(isStrimzi).length).toBeGreaterThan(10);
  });

  it.each(deployedServices.map((s) => [s.name, s] as const))('runs %s with probes on /health, resources and a PDB, as non-root', (_name, service) => {
    const deployment = named(objects, 'Deployment', service.name);
    const pod = podSpec(deployment);
    const container = pod.containers[0]!;
    expect(container.image).toMatch(new RegExp(`^agentbus/${service.name}:`));
    expect(container.ports).toEqual([{ name: 'http', containerPort: service.httpPort }]);
    expect(container.env).toContainEqual({ name: service.portVariable, value: String(service.httpPort) });
    expect(container.readinessProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
    expect(container.livenessProbe?.httpGet).toEqual({ path: '/health', port: 'http' });
    for (const bound of ['requests', 'limits'] as const) expect(Object.keys(container.resources?.[bound] ?? {}).sort()).toEqual(['cpu', 'memory']);
    expect(pod.securityContext?.runAsNonRoot).toBe(true);
    const pdb = named(objects, 'PodDisruptionBudget', service.name);
    expect((pdb.spec as { selector: unknown }).selector).toEqual({ matchLabels: { 'app.kubernetes.io/name': service.name } });
    expect((named(objects, 'Service', service.name).spec as { ports: { port: number }[] }).ports[0]!.port).toBe(service.httpPort);
  });

  it('connects each service to Kafka as its own SCRAM user, over TLS with the cluster CA', () => {
    const config = byKind(objects, 'ConfigMap')[0]!.data as Record<string, string>;
    expect(config).toMatchObject({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', AGENTBUS_TOPIC_PREFIX: clusterSettings.prefix });
    for (const service of deployedServices) {
      const env = podSpec(named(objects, 'Deployment', service.name)).containers[0]!.env ?? [];
      expect(env).toContainEqual({ name: 'KAFKA_SASL_USERNAME', value: service.name });
      expect(env).toContainEqual({ name: 'KAFKA_SASL_PASSWORD', valueFrom: { secretKeyRef: { name: service.name, key: 'password' } } });
      expect(named(objects, 'KafkaUser', service.name).spec).toMatchObject({ authentication: { type: 'scram-sha-512' }, authorization: { type: 'simple' } });
    }
  });

  it('commits no Secret, and references only those Strimzi writes or docs/deploy.md asks you to create', () => {
    expect(byKind(objects, 'Secret')).toEqual([]);
    const referenced = new Set<string>();
    for (const o of objects.filter((x) => x.kind === 'Deployment' || x.kind === 'Job')) {
      for (const c of podSpec(o).containers) for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) referenced.add(e.valueFrom.secretKeyRef.name);
      for (const v of podSpec(o).volumes ?? []) if (v.secret) referenced.add(v.secret.secretName);
    }
    expect([...referenced].filter((name) => !strimziSecrets.has(name) && !handMadeSecrets.has(name))).toEqual([]);
    expect([...handMadeSecrets].every((name) => referenced.has(name))).toBe(true);
  });

  it('gives the console its users and session secret from the Secret agentbus-console, and its own Service on 9405', () => {
    const env = podSpec(named(objects, 'Deployment', 'console')).containers[0]!.env ?? [];
    expect(env.filter((e) => e.name.startsWith('CONSOLE_'))).toEqual([
      { name: 'CONSOLE_HTTP_PORT', value: '9405' },
      { name: 'CONSOLE_USERS', valueFrom: { secretKeyRef: { name: 'agentbus-console', key: 'users' } } },
      { name: 'CONSOLE_SESSION_SECRET', valueFrom: { secretKeyRef: { name: 'agentbus-console', key: 'session-secret' } } },
    ]);
    expect(named(objects, 'Service', 'console').spec).toMatchObject({ selector: { 'app.kubernetes.io/name': 'console' }, ports: [{ name: 'http', port: 9405, targetPort: 'http' }] });
  });

  it('signs with a key per service from its own Secret, and requires signatures where state is written in prod', () => {
    for (const service of deployedServices) {
      const pod = podSpec(named(objects, 'Deployment', service.name));
      const env = Object.fromEntries((pod.containers[0]!.env ?? []).map((e) => [e.name, e.value]));
      expect(env.AGENTBUS_SIGNING_KEY_FILE).toBe(service.signs ? '/etc/agentbus/signing/agent.key' : undefined);
      const requires = overlay === 'prod' && ['projector', 'saga-orchestrator'].includes(service.name);
      expect([service.name, env.AGENTBUS_VERIFY_SIGNATURES]).toEqual([service.name, requires ? 'require' : undefined]);
    }
  });

  it('provisions a three-broker KRaft Kafka with node pools, and exactly the generated topics and users', () => {
    const kafka = named(objects, 'Kafka', clusterSettings.cluster);
    expect(kafka.metadata.annotations).toMatchObject({ 'strimzi.io/node-pools': 'enabled', 'strimzi.io/kraft': 'enabled' });
    const pools = byKind(objects, 'KafkaNodePool').map((p) => p.spec as { replicas: number; roles: string[] });
    expect(pools.filter((p) => p.roles.includes('broker')).reduce((n, p) => n + p.replicas, 0)).toBe(3);
    expect(pools.filter((p) => p.roles.includes('controller')).reduce((n, p) => n + p.replicas, 0)).toBe(3);
    const strip = (list: { kind: string; metadata: { name: string }; spec?: unknown }[]) =>
      list.map((o) => ({ kind: o.kind, name: o.metadata.name, spec: o.spec })).sort((a, b) => a.name.localeCompare(b.name));
    expect(strip(byKind(objects, 'KafkaTopic'))).toEqual(strip(kafkaTopics()));
    expect(strip(byKind(objects, 'KafkaUser'))).toEqual(strip(kafkaUsers()));
  });

  it('gives every agentbus container more memory than the heap cap NODE_OPTIONS sets', () => {
    const config = byKind(objects, 'ConfigMap')[0]!;
    const heapMb = Number(/--max-old-space-size=(\d+)/.exec((config.data as Record<string, string>).NODE_OPTIONS ?? '')?.[1]);
    expect(heapMb).toBeGreaterThan(0);
    const mebibytes = (quantity: string) => {
      const [, amount, unit] = /^(\d+)(Mi|Gi)$/.exec(quantity) ?? [];
      if (!amount) throw new Error(`memory limit ${quantity}: expected Mi or Gi`);
      return Number(amount) * (unit === 'Gi' ? 1024 : 1);
    };
    const users = objects.filter((o) => (o.kind === 'Deployment' || o.kind === 'Job') && podSpec(o).containers.some((c) => c.envFrom?.some((e) => e.configMapRef?.name === config.metadata.name)));
    expect(users.length).toBe(deployedServices.length + 1);
    for (const o of users) for (const c of podSpec(o).containers) expect({ [o.metadata.name]: mebibytes(c.resources!.limits!.memory!) > heapMb * 1.2 }).toEqual({ [o.metadata.name]: true });
  });

  it('migrates the database in its own Job, with the CLI image', () => {
    const job = named(objects, 'Job', 'agentbus-migrate');
    const container = podSpec(job).containers[0]!;
    expect(container.image).toMatch(/^agentbus\/cli:/);
    expect(container.args?.[0]).toBe('migrate');
  });

  if (overlay === 'dev') {
    it('runs one replica of everything', () => {
      expect(byKind(objects, 'Deployment').map((d) => [d.metadata.name, (d.spec as { replicas: number }).replicas])).toEqual(
        byKind(objects, 'Deployment').map((d) => [d.metadata.name, 1]),
      );
      expect(byKind(objects, 'HorizontalPodAutoscaler')).toEqual([]);
    });
  } else {
    it('runs several replicas of each service, kept apart, and scales on CPU within the partition count', () => {
      for (const service of deployedServices) {
        const deployment = named(objects, 'Deployment', service.name);
        expect((deployment.spec as { replicas: number }).replicas).toBeGreaterThanOrEqual(2);
        const terms = podSpec(deployment).affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
        expect(terms.map((t) => t.podAffinityTerm.labelSelector.matchLabels)).toEqual([{ 'app.kubernetes.io/name': service.name }]);
      }
      const hpas = byKind(objects, 'HorizontalPodAutoscaler');
      expect(hpas.length).toBeGreaterThan(0);
      for (const hpa of hpas) {
        const spec = hpa.spec as { scaleTargetRef: { name: string }; maxReplicas: number };
        named(objects, 'Deployment', spec.scaleTargetRef.name);
        expect(spec.maxReplicas).toBeLessThanOrEqual(clusterSettings.partitions);
      }
    });
  }
});

describe('the schema checks', () => {
  const deployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'x' },
    spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 'http' }] }] } } },
  };
  const topic = { apiVersion: 'kafka.strimzi.io/v1beta2', kind: 'KafkaTopic', metadata: { name: 't' }, spec: { partitions: 'twelve', replicaz: 3 } };

  it('reject a wrong type in a Kubernetes object', () => {
    expect(kubernetesSchemaProblems([deployment as never])).toEqual([expect.stringContaining('containerPort must be integer')]);
  });

  it('reject a Strimzi resource without a field its model requires', () => {
    const kafka = { apiVersion: 'kafka.strimzi.io/v1beta2', kind: 'Kafka', metadata: { name: 'k' }, spec: { kafka: { config: {} } } };
    expect(operatorModelProblems(stringify(kafka)).problems).toEqual(['kafka.strimzi.io/v1beta2/Kafka k: missing required field spec.kafka.listeners']);
  });

  it('reject unknown fields and wrong types in Strimzi resources', () => {
    const misspelt = { ...topic, spec: { partitions: 12, replicaz: 3 } };
    expect(operatorModelProblems(`${stringify(topic)}---\n${stringify(misspelt)}`).problems).toEqual([
      expect.stringContaining('KafkaTopic t: Cannot deserialize value of type `java.lang.Integer` from String "twelve"'),
      'kafka.strimzi.io/v1beta2/KafkaTopic t: unknown field spec.replicaz',
    ]);
  });
});

describe('kustomize overlay existing-kafka (prod on your own SASL/SCRAM + TLS cluster)', () => {
  let rendered: string;
  let objects: K8sObject[];
  beforeAll(() => {
    rendered = kustomize('existing-kafka');
    objects = parseYamlDocuments<K8sObject>(rendered);
  });

  it('renders and validates like the others, with no Strimzi resource left', () => {
    expect(kubernetesSchemaProblems(objects)).toEqual([]);
    expect(operatorModelProblems(rendered).problems).toEqual([]);
    expect(objects.filter(isStrimzi)).toEqual([]);
    expect(byKind(objects, 'Secret')).toEqual([]);
  });

  it('points every service at your brokers with TLS, SCRAM and the credentials and CA of the Secret agentbus-kafka', () => {
    const config = byKind(objects, 'ConfigMap')[0]!.data as Record<string, string>;
    expect(config.KAFKA_BROKERS).not.toContain('agentbus-kafka-bootstrap');
    expect(config).toMatchObject({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SSL_CA_FILE: '/etc/agentbus/kafka-ca/ca.crt' });
    for (const service of deployedServices) {
      const pod = podSpec(named(objects, 'Deployment', service.name));
      const env = pod.containers[0]!.env ?? [];
      expect(env.filter((e) => e.name.startsWith('KAFKA_SASL_'))).toEqual([
        { name: 'KAFKA_SASL_USERNAME', valueFrom: { secretKeyRef: { name: 'agentbus-kafka', key: 'username' } } },
        { name: 'KAFKA_SASL_PASSWORD', valueFrom: { secretKeyRef: { name: 'agentbus-kafka', key: 'password' } } },
      ]);
      expect((pod.volumes ?? []).map((v) => v.secret?.secretName)).toEqual(['agentbus-kafka', ...(service.signs ? [`agentbus-signing-${service.name}`] : [])]);
    }
  });
});
