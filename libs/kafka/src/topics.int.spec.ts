import { connectionSchema, parseConfig } from '@agentbus/config';
import { uniquePrefix } from '@agentbus/testing';
import { createKafka } from './createKafka';
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
});
