import { InvalidConsumerOptionsError, resolveOptions, type PartitionConsumerOptions } from './options';
import { thrownBy } from '@agentbus/testing';

const valid = {
  kafka: {},
  codec: {},
  db: {},
  target: { schema: async () => 's', apply: async () => [] },
  logger: {},
  databaseUrl: 'postgres://127.0.0.1/x',
  name: 'projector',
  topics: ['p.task'],
  deadLetterTopic: 'p.dlq',
} as unknown as PartitionConsumerOptions;

describe('partition consumer options', () => {
  it('fills defaults: group id from the name, dead-lettering, one partition at a time, a capped backoff', () => {
    const resolved = resolveOptions(valid);
    expect(resolved).toMatchObject({ groupId: 'projector', undecodable: 'dead-letter', partitionsConcurrently: 1, retry: { maxDelayMs: 5000 } });
  });

  it('names every bad field at once, when the consumer is built', () => {
    const error = thrownBy(() => resolveOptions({ ...valid, topics: [], partitionsConcurrently: 0, consumerConfig: { sessionTimeout: 3000, heartbeatInterval: 3000 }, db: undefined } as unknown as PartitionConsumerOptions), InvalidConsumerOptionsError);
    expect(error.code).toBe('CONSUMER_OPTIONS_INVALID');
    const message = error.message;
    for (const field of ['db: is required', 'topics: needs at least one topic', 'partitionsConcurrently', 'consumerConfig.heartbeatInterval']) expect(message).toContain(field);
  });
});
