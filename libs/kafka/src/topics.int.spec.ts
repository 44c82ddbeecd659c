import { connectionSchema, parseConfig } from '@agentbus/config';
import { uniquePrefix } from '@agentbus/testing';
import { Kafka } from 'kafkajs';
import { createKafka, kafkaConfig } from './createKafka';
import { agentbusTopics, ensureTopics } from './topics';

describe('topic setup', () => {
  it('creates one topic per category plus the dead-letter topic with the configured partitions, and is idempotent', async () => {
    const config = parseConfig(connectionSchema, { ...process.env, AGENTBUS_TOPIC_PREFIX: uniquePrefix('topics'), AGENTBUS_TOPIC_PARTITIONS: '5' });
    const specs = agentbusTopics({ prefix: config.topicPrefix, ...config.topics });
    const admin = createKafka(config.kafka).admin();
    await admin.connect();
    try {
      const created = await ensureTopics(admin, specs);
      expect(created.sort()).toEqual(['agent', 'data', 'decision', 'dlq', 'saga', 'system', 'task', 'trust'].map((c) => `${config.topicPrefix}.${c}`));
      expect(await ensureTopics(admin, specs)).toEqual([]);
      const { topics } = await admin.fetchTopicMetadata({ topics: created });
      expect(topics.every((t) => t.partitions.length === 5)).toBe(true);
      const [dlqConfig] = (await admin.describeConfigs({ resources: [{ type: 2, name: `${config.topicPrefix}.dlq`, configNames: ['retention.ms'] }], includeSynonyms: false })).resources;
      expect(dlqConfig!.configEntries[0]).toMatchObject({ configName: 'retention.ms', configValue: String(30 * 24 * 3600 * 1000) });
      await admin.deleteTopics({ topics: created });
    } finally {
      await admin.disconnect();
    }
  });

  it('returns only when every partition has a leader that answers, so a client that never retries can use the topics at once', async () => {
    const config = parseConfig(connectionSchema, { ...process.env, AGENTBUS_TOPIC_PREFIX: uniquePrefix('ready'), AGENTBUS_TOPIC_PARTITIONS: '6' });
    const specs = agentbusTopics({ prefix: config.topicPrefix, ...config.topics });
    const admin = createKafka(config.kafka).admin();
    const impatient = new Kafka({ ...kafkaConfig(config.kafka), retry: { retries: 0 } });
    const probe = impatient.admin();
    const producer = impatient.producer({ allowAutoTopicCreation: false, retry: { retries: 0 } });
    await Promise.all([admin.connect(), probe.connect(), producer.connect()]);
    try {
      await ensureTopics(admin, specs);
      for (const { topic } of specs) {
        expect((await probe.fetchTopicOffsets(topic)).map((o) => o.high)).toEqual(['0', '0', '0', '0', '0', '0']);
      }
      const sent = await producer.send({ topic: specs[0]!.topic, messages: [0, 1, 2, 3, 4, 5].map((partition) => ({ partition, value: 'first' })) });
      expect(sent.map((r) => [r.partition, r.errorCode]).sort()).toEqual([0, 1, 2, 3, 4, 5].map((partition) => [partition, 0]));
      await admin.deleteTopics({ topics: specs.map((s) => s.topic) });
    } finally {
      await Promise.all([admin.disconnect(), probe.disconnect(), producer.disconnect()]);
    }
  });
});
