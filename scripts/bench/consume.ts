import { randomUUID } from 'node:crypto';
import type { KafkaEventBus } from '@agentbus/bus';
import { createKafka } from '@agentbus/kafka';
import type { IHeaders } from 'kafkajs';
import { cpuMicros, nowMs } from './stats';
import { config } from './world';

export interface ConsumeRun {
  events: number;
  seconds: number;
  eventsPerSec: number;
  /** From subscribe() to the first event: group join and first fetch; not part of the rate. */
  startupSeconds: number;
  /** This process's CPU per event from the first event to the last, µs. */
  cpuUsPerEvent: number;
}

export interface WireSizes {
  records: number;
  avgKeyBytes: number;
  avgValueBytes: number;
  avgHeaderBytes: number;
}

const headerBytes = (headers: IHeaders | undefined): number =>
  Object.entries(headers ?? {}).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + (value === undefined ? 0 : Buffer.byteLength(Array.isArray(value) ? value.join('') : value)), 0);

const timeout = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
    }),
  ]);
};

/**
 * A `#` subscription (competing, from the beginning, a fresh group) with a handler that only
 * counts: what is measured is fetch, decode, routing, context and offset bookkeeping.
 * Counts task.created only: the bus may add agent.backpressure events of its own to `#`.
 */
export const consumeThroughBus = async (bus: KafkaEventBus, expected: number, limitMs: number): Promise<ConsumeRun> => {
  let seen = 0;
  let first = 0;
  let last = 0;
  let cpuFirst = 0;
  let cpuLast = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const subscribed = nowMs();
  const subscription = await bus.subscribe(
    '#',
    (event) => {
      if (event.type !== 'task.created') return;
      if (seen === 0) {
        first = nowMs();
        cpuFirst = cpuMicros();
      }
      seen++;
      if (seen === expected) {
        last = nowMs();
        cpuLast = cpuMicros();
        done();
      }
    },
    { name: `bench-${randomUUID().slice(0, 8)}`, mode: 'competing', fromBeginning: true },
  );
  try {
    await timeout(finished, limitMs, `bus consumption of ${expected} events`);
  } finally {
    await subscription.unsubscribe();
  }
  const seconds = (last - first) / 1000;
  return { events: expected, seconds, eventsPerSec: (expected - 1) / seconds, startupSeconds: (first - subscribed) / 1000, cpuUsPerEvent: (cpuLast - cpuFirst) / (expected - 1) };
};

/**
 * kafkajs eachBatch over the same topics with a fresh group and the consumer settings the bus
 * uses (session 30 s, heartbeat 3 s, 3 partitions at a time); no decoding, offsets auto-resolved.
 * Counts the records of `countTopic`, or of every topic when it is undefined.
 */
export const consumeRaw = async (topics: string[], countTopic: string | undefined, expected: number, limitMs: number): Promise<ConsumeRun & { wire: WireSizes }> => {
  const consumer = createKafka({ ...config.kafka, clientId: `${config.kafka.clientId}-bench-raw` }).consumer({
    groupId: `bench-raw-${randomUUID().slice(0, 8)}`,
    allowAutoTopicCreation: false,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
  });
  let seen = 0;
  let first = 0;
  let last = 0;
  let cpuFirst = 0;
  let cpuLast = 0;
  const wire: WireSizes = { records: 0, avgKeyBytes: 0, avgValueBytes: 0, avgHeaderBytes: 0 };
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const subscribed = nowMs();
  await consumer.connect();
  try {
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch, heartbeat }) => {
        if ((countTopic !== undefined && batch.topic !== countTopic) || batch.messages.length === 0) return;
        if (seen === 0) {
          first = nowMs();
          cpuFirst = cpuMicros();
          // Sample what the records weigh on the wire (the first batch is enough).
          for (const m of batch.messages) {
            wire.avgKeyBytes += m.key?.length ?? 0;
            wire.avgValueBytes += m.value?.length ?? 0;
            wire.avgHeaderBytes += headerBytes(m.headers);
          }
          wire.records = batch.messages.length;
          wire.avgKeyBytes /= wire.records;
          wire.avgValueBytes /= wire.records;
          wire.avgHeaderBytes /= wire.records;
        }
        seen += batch.messages.length;
        await heartbeat();
        if (seen >= expected && last === 0) {
          last = nowMs();
          cpuLast = cpuMicros();
          done();
        }
      },
    });
    await timeout(finished, limitMs, `raw consumption of ${expected} events`);
  } finally {
    await consumer.disconnect();
  }
  const seconds = (last - first) / 1000;
  // As for the bus: events after the first one, over the time from the first to the last.
  return { events: seen, seconds, eventsPerSec: (seen - 1) / seconds, startupSeconds: (first - subscribed) / 1000, cpuUsPerEvent: (cpuLast - cpuFirst) / (seen - 1), wire };
};
