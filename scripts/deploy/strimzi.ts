// The Strimzi KafkaTopic and KafkaUser resources, made from the topic definitions the services and
// `agentbus topics setup` use (libs/kafka agentbusTopics over libs/events eventCategories), so
// Kubernetes never knows a topic the code does not, nor misses one.
import { deadLetterTopicSuffix, topicName, type EventCategory } from '@agentbus/events';
import { agentbusTopics, readerGroupPrefix, type TopicSpec } from '@agentbus/kafka';
import { stringify } from 'yaml';
import { deployedServices, type DeployedService } from './deployedServices';

export const strimziApiVersion = 'kafka.strimzi.io/v1beta2';

export interface ClusterSettings {
  cluster: string;
  prefix: string;
  partitions: number;
  replicationFactor: number;
  minInsyncReplicas: number;
}

/** What the cluster in infra/k8s/base/kafka runs: three brokers, so every topic survives one broker down. */
export const clusterSettings: ClusterSettings = {
  cluster: 'agentbus',
  prefix: 'agentbus',
  partitions: 12,
  replicationFactor: 3,
  // With acks=all (the bus's idempotent producer) a write needs 2 of 3 replicas: one broker can be down.
  minInsyncReplicas: 2,
};

const labels = (settings: ClusterSettings) => ({ 'strimzi.io/cluster': settings.cluster, 'app.kubernetes.io/part-of': 'agentbus' });

export interface KafkaTopicResource {
  apiVersion: typeof strimziApiVersion;
  kind: 'KafkaTopic';
  metadata: { name: string; labels: Record<string, string> };
  spec: { topicName: string; partitions: number; replicas: number; config: Record<string, string | number> };
}

/** Kubernetes names allow no '.', '_' or upper case here; the topic keeps its own name in spec.topicName. */
export const resourceName = (topic: string): string => topic.toLowerCase().replace(/[^a-z0-9-]+/g, '-');

export const kafkaTopicFor = (spec: TopicSpec, settings: ClusterSettings): KafkaTopicResource => ({
  apiVersion: strimziApiVersion,
  kind: 'KafkaTopic',
  metadata: { name: resourceName(spec.topic), labels: labels(settings) },
  spec: {
    topicName: spec.topic,
    partitions: spec.numPartitions,
    replicas: spec.replicationFactor,
    config: { ...spec.configs, 'min.insync.replicas': settings.minInsyncReplicas },
  },
});

export const kafkaTopics = (settings: ClusterSettings = clusterSettings): KafkaTopicResource[] =>
  agentbusTopics({ prefix: settings.prefix, partitions: settings.partitions, replicationFactor: settings.replicationFactor }).map((spec) =>
    kafkaTopicFor(spec, settings),
  );

type AclOperation = 'Read' | 'Write' | 'Describe' | 'Create' | 'DescribeConfigs' | 'Alter' | 'AlterConfigs' | 'Delete' | 'All';

export interface Acl {
  resource: { type: 'topic' | 'group' | 'cluster'; name?: string; patternType?: 'literal' | 'prefix' };
  operations: AclOperation[];
  host: '*';
}

export interface KafkaUserResource {
  apiVersion: typeof strimziApiVersion;
  kind: 'KafkaUser';
  metadata: { name: string; labels: Record<string, string> };
  spec: { authentication: { type: 'scram-sha-512' }; authorization: { type: 'simple'; acls: Acl[] } };
}

const acl = (resource: Acl['resource'], ...operations: AclOperation[]): Acl => ({ resource, operations, host: '*' });

/** `dlq list` and replay read the dead-letter topic with a throwaway group each time (libs/kafka readToEnd). */
const readerGroups = (): Acl => acl({ type: 'group', name: readerGroupPrefix, patternType: 'prefix' }, 'Read', 'Describe');

/**
 * A service reads every agentbus topic, writes the dead-letter topic and the categories it publishes,
 * and owns its consumer group, `<prefix>.<service>` (one group per topic prefix); one that replays
 * dead letters also joins readToEnd's throwaway groups. The Strimzi user
 * operator keeps the password in a Secret of the user's name.
 */
export const serviceAcls = (service: DeployedService, settings: ClusterSettings): Acl[] => {
  const everyTopic = { type: 'topic' as const, name: `${settings.prefix}.`, patternType: 'prefix' as const };
  const targets: (EventCategory | typeof deadLetterTopicSuffix)[] = [...service.writes.filter((c): c is EventCategory => c !== '*'), deadLetterTopicSuffix];
  const writes = service.writes.includes('*')
    ? [acl(everyTopic, 'Write')]
    : targets.map((category) => acl({ type: 'topic', name: topicName(settings.prefix, category), patternType: 'literal' }, 'Write'));
  return [
    acl(everyTopic, 'Describe', 'Read'),
    ...writes,
    acl({ type: 'group', name: `${settings.prefix}.${service.name}`, patternType: 'prefix' }, 'Read', 'Describe'),
    ...(service.readsDeadLetters ? [readerGroups()] : []),
  ];
};

/** The operators' user for the agentbus CLI (tail, dlq list and replay, topics setup): every agentbus topic, the CLI's groups and readToEnd's. */
export const operatorAcls = (settings: ClusterSettings): Acl[] => [
  acl({ type: 'topic', name: `${settings.prefix}.`, patternType: 'prefix' }, 'Describe', 'DescribeConfigs', 'Read', 'Write', 'Create'),
  acl({ type: 'group', name: 'agentbus-cli', patternType: 'prefix' }, 'Read', 'Describe'),
  readerGroups(),
];

export const operatorUser = 'agentbus-operator';

const kafkaUser = (name: string, acls: Acl[], settings: ClusterSettings): KafkaUserResource => ({
  apiVersion: strimziApiVersion,
  kind: 'KafkaUser',
  metadata: { name, labels: labels(settings) },
  spec: { authentication: { type: 'scram-sha-512' }, authorization: { type: 'simple', acls } },
});

export const kafkaUsers = (settings: ClusterSettings = clusterSettings): KafkaUserResource[] => [
  ...deployedServices.map((service) => kafkaUser(service.name, serviceAcls(service, settings), settings)),
  kafkaUser(operatorUser, operatorAcls(settings), settings),
];

export const generatedTopicsFile = 'infra/k8s/base/kafka/topics.generated.yaml';
export const generatedUsersFile = 'infra/k8s/base/kafka/users.generated.yaml';

export const renderResources = (source: string, resources: readonly object[]): string =>
  [
    `# GENERATED by \`npm run deploy:generate\` from ${source}.`,
    '# Do not edit: change the definitions and regenerate; `npm test` fails when this file drifts.',
    ...resources.map((resource) => `---\n${stringify(resource, { lineWidth: 0, aliasDuplicateObjects: false }).trimEnd()}`),
  ].join('\n') + '\n';
