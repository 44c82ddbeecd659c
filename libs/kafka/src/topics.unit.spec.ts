import type { Admin } from 'kafkajs';
import { TopicsNotReadyError, waitForTopics } from './topics';

type Metadata = Awaited<ReturnType<Admin['fetchTopicMetadata']>>;
const protocolError = (type: string) => Object.assign(new Error(`broker says ${type}`), { name: 'KafkaJSProtocolError', type });
const retriesExceeded = (cause: Error) => Object.assign(new Error(cause.message), { name: 'KafkaJSNumberOfRetriesExceeded', cause });
const partitions = (leaders: number[]) => leaders.map((leader, partitionId) => ({ partitionId, leader, partitionErrorCode: 0, replicas: [1], isr: [1], offlineReplicas: [] }));
const metadata = (topics: Record<string, number[]>): Metadata => ({ topics: Object.entries(topics).map(([name, leaders]) => ({ name, partitions: partitions(leaders) })) });

/** An admin whose answers are scripted one poll at a time; the last answer repeats. */
const scriptedAdmin = (answers: { metadata: Metadata | Error; offsets?: Error }[]) => {
  let poll = -1;
  const calls = { metadata: 0, offsets: 0 };
  const admin = {
    fetchTopicMetadata: async () => {
      calls.metadata++;
      poll = Math.min(poll + 1, answers.length - 1);
      const answer = answers[poll]!.metadata;
      if (answer instanceof Error) throw answer;
      return answer;
    },
    fetchTopicOffsets: async () => {
      calls.offsets++;
      const failure = answers[poll]!.offsets;
      if (failure) throw failure;
      return [];
    },
  } as unknown as Admin;
  return { admin, calls };
};

const fast = { pollMs: 1, timeoutMs: 5_000 };

describe('waitForTopics', () => {
  it('polls through unknown topics, missing leaders and leaders that do not host the partition yet, until every partition answers', async () => {
    const { admin, calls } = scriptedAdmin([
      { metadata: protocolError('UNKNOWN_TOPIC_OR_PARTITION') },
      { metadata: retriesExceeded(protocolError('LEADER_NOT_AVAILABLE')) },
      { metadata: metadata({ 'p.task': [1, -1, 1] }) },
      { metadata: metadata({ 'p.task': [1, 1] }) },
      { metadata: metadata({ 'p.task': [1, 1, 1] }), offsets: retriesExceeded(protocolError('NOT_LEADER_FOR_PARTITION')) },
      { metadata: metadata({ 'p.task': [1, 1, 1] }) },
    ]);
    await waitForTopics(admin, [{ topic: 'p.task', numPartitions: 3 }], fast);
    expect(calls.metadata).toBe(6);
    expect(calls.offsets).toBe(2);
  });

  it('accepts an existing topic with any partition count when none is expected', async () => {
    const { admin, calls } = scriptedAdmin([{ metadata: metadata({ 'p.task': [1, 1, 1, 1, 1, 1] }) }]);
    await waitForTopics(admin, [{ topic: 'p.task' }], fast);
    expect(calls.metadata).toBe(1);
  });

  it('fails at once on an answer that is no propagation delay', async () => {
    const { admin, calls } = scriptedAdmin([{ metadata: protocolError('TOPIC_AUTHORIZATION_FAILED') }]);
    await expect(waitForTopics(admin, [{ topic: 'p.task', numPartitions: 1 }], fast)).rejects.toMatchObject({ type: 'TOPIC_AUTHORIZATION_FAILED' });
    expect(calls.metadata).toBe(1);
  });

  it('gives up at the deadline with a retriable error naming the topics and the last reason', async () => {
    const { admin } = scriptedAdmin([{ metadata: metadata({ 'p.task': [1], 'p.dlq': [-1] }) }]);
    const error = await waitForTopics(admin, [{ topic: 'p.task', numPartitions: 1 }, { topic: 'p.dlq', numPartitions: 1 }], { pollMs: 1, timeoutMs: 30 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TopicsNotReadyError);
    expect(error).toMatchObject({ code: 'TOPICS_NOT_READY', retriable: true, topics: ['p.task', 'p.dlq'] });
    expect((error as Error).message).toContain('p.dlq partitions 0 have no leader');
  });
});
