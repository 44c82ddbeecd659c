import { eventCategories } from '@agentbus/events';
import { agentbusTopics, readerGroupPrefix } from '@agentbus/kafka';
import { deployedServices } from './deployedServices';
import { clusterSettings, kafkaTopics, kafkaUsers, operatorUser, resourceName } from './strimzi';

describe('generated Strimzi resources', () => {
  it('have one KafkaTopic per event category and the dead-letter topic, with the settings agentbusTopics gives', () => {
    const specs = agentbusTopics({ prefix: clusterSettings.prefix, partitions: clusterSettings.partitions, replicationFactor: clusterSettings.replicationFactor });
    const topics = kafkaTopics();
    expect(topics.map((t) => t.spec.topicName)).toEqual([...eventCategories.map((c) => `agentbus.${c}`), 'agentbus.dlq']);
    for (const [i, topic] of topics.entries()) {
      expect(topic.spec).toEqual({
        topicName: specs[i]!.topic,
        partitions: specs[i]!.numPartitions,
        replicas: specs[i]!.replicationFactor,
        config: { ...specs[i]!.configs, 'min.insync.replicas': 2 },
      });
      expect(topic.metadata.labels['strimzi.io/cluster']).toBe(clusterSettings.cluster);
    }
  });

  it('name resources as Kubernetes allows, whatever the topic is called', () => {
    expect(resourceName('Staging_1.task')).toBe('staging-1-task');
  });

  it('let every service read every topic and dead-letter, and write only what it publishes', () => {
    const users = kafkaUsers();
    expect(users.map((u) => u.metadata.name)).toEqual([...deployedServices.map((s) => s.name), operatorUser]);
    const projector = users.find((u) => u.metadata.name === 'projector')!.spec.authorization.acls;
    expect(projector).toEqual([
      { resource: { type: 'topic', name: 'agentbus.', patternType: 'prefix' }, operations: ['Describe', 'Read'], host: '*' },
      { resource: { type: 'topic', name: 'agentbus.dlq', patternType: 'literal' }, operations: ['Write'], host: '*' },
      { resource: { type: 'group', name: 'agentbus.projector', patternType: 'prefix' }, operations: ['Read', 'Describe'], host: '*' },
    ]);
    const presence = users.find((u) => u.metadata.name === 'presence-monitor')!.spec.authorization.acls;
    expect(presence.filter((a) => a.operations.includes('Write')).map((a) => a.resource.name)).toEqual(['agentbus.agent', 'agentbus.dlq']);
    const saga = users.find((u) => u.metadata.name === 'saga-orchestrator')!.spec.authorization.acls;
    expect(saga).toContainEqual({ resource: { type: 'topic', name: 'agentbus.', patternType: 'prefix' }, operations: ['Write'], host: '*' });
  });

  it('let the console write every category (operator actions, replayed records) and, like the operators, join the throwaway groups that read dead letters', () => {
    const acls = (name: string) => kafkaUsers().find((u) => u.metadata.name === name)!.spec.authorization.acls;
    expect(acls('console')).toContainEqual({ resource: { type: 'topic', name: 'agentbus.', patternType: 'prefix' }, operations: ['Write'], host: '*' });
    const readers = { resource: { type: 'group', name: readerGroupPrefix, patternType: 'prefix' }, operations: ['Read', 'Describe'], host: '*' };
    expect(acls('console')).toContainEqual(readers);
    expect(acls(operatorUser)).toContainEqual(readers);
    expect(acls('projector')).not.toContainEqual(readers);
  });
});
