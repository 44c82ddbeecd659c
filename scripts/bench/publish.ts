import { Headers, newTraceparent, type KafkaEventBus, type PublishInput } from '@agentbus/bus';
import { AvroEventCodec, createRegistryClient, loadSchemaCatalog } from '@agentbus/codec';
import { createEvent } from '@agentbus/events';
import { createKafka } from '@agentbus/kafka';
import type { Message, Producer } from 'kafkajs';
import { cpuMicros, nowMs, percentile } from './stats';
import { config, type BenchWorld } from './world';
import { chunk, type TaskCreatedInput } from './workload';

export interface PublishRun {
  events: number;
  seconds: number;
  eventsPerSec: number;
  /** Latency of one publishMany / send call (one batch), ms. */
  batchP50Ms: number;
  batchP99Ms: number;
  /** This process's CPU per event while publishing, µs. */
  cpuUsPerEvent: number;
}

export const summarise = (events: number, elapsedMs: number, batchMs: number[], cpuUs: number): PublishRun => ({
  events,
  cpuUsPerEvent: cpuUs / events,
  seconds: elapsedMs / 1000,
  eventsPerSec: events / (elapsedMs / 1000),
  batchP50Ms: percentile(batchMs, 50),
  batchP99Ms: percentile(batchMs, 99),
});

/** publishMany, one batch after the other, as a planner publishing a backlog would. */
export const publishThroughBus = async (bus: KafkaEventBus, inputs: readonly TaskCreatedInput[], batchSize: number): Promise<PublishRun> => {
  const batches = chunk(inputs as readonly PublishInput[], batchSize);
  const batchMs: number[] = [];
  const start = nowMs();
  const cpu = cpuMicros();
  for (const batch of batches) {
    const t = nowMs();
    await bus.publishMany(batch);
    batchMs.push(nowMs() - t);
  }
  return summarise(inputs.length, nowMs() - start, batchMs, cpuMicros() - cpu);
};

export interface Encoded {
  /** Keyed like the bus keys them (entityKey: the task id), value as the codec writes it. */
  messages: Message[];
  /** The same records with the five headers the bus adds (event id, type, routing key, traceparent, correlation id). */
  withHeaders: Message[];
  avgValueBytes: number;
  avgKeyBytes: number;
}

/**
 * Encodes the same inputs once with the codec, through the registry, under `world`'s prefix:
 * the bytes the raw producer sends are the bytes the bus would send.
 */
export const preEncode = async (world: BenchWorld, inputs: readonly TaskCreatedInput[]): Promise<Encoded> => {
  const codec = new AvroEventCodec({ registry: createRegistryClient(config.registry), catalog: loadSchemaCatalog(), topicPrefix: world.prefix });
  for (const { subject } of await codec.registerSchemas(['task.created'])) world.subjects.add(subject);
  const messages: Message[] = [];
  const withHeaders: Message[] = [];
  let valueBytes = 0;
  let keyBytes = 0;
  for (const input of inputs) {
    const event = createEvent(input);
    const { value, topic } = await codec.encode(event);
    if (topic !== world.taskTopic) throw new Error(`codec wrote ${event.type} to ${topic}, expected ${world.taskTopic}`);
    const message = { key: input.payload.taskId, value, timestamp: String(event.timestamp) };
    messages.push(message);
    withHeaders.push({
      ...message,
      headers: {
        [Headers.routingKey]: event.routingKey,
        [Headers.traceparent]: newTraceparent(),
      },
    });
    valueBytes += value.length;
    keyBytes += Buffer.byteLength(input.payload.taskId);
  }
  return { messages, withHeaders, avgValueBytes: valueBytes / inputs.length, avgKeyBytes: keyBytes / inputs.length };
};

/** The producer the bus would make: idempotent, 5 in flight, no topic auto-creation. */
export const rawProducer = async (): Promise<{ producer: Producer; close: () => Promise<void> }> => {
  const producer = createKafka({ ...config.kafka, clientId: `${config.kafka.clientId}-bench-raw` }).producer({
    idempotent: true,
    maxInFlightRequests: 5,
    allowAutoTopicCreation: false,
  });
  await producer.connect();
  return { producer, close: () => producer.disconnect() };
};

/** kafkajs send of pre-encoded records, acks=-1, the same batch sizes and keys. */
export const publishRaw = async (producer: Producer, topic: string, messages: readonly Message[], batchSize: number): Promise<PublishRun> => {
  const batches = chunk(messages, batchSize);
  const batchMs: number[] = [];
  const start = nowMs();
  const cpu = cpuMicros();
  for (const batch of batches) {
    const t = nowMs();
    await producer.send({ topic, acks: -1, messages: batch });
    batchMs.push(nowMs() - t);
  }
  return summarise(messages.length, nowMs() - start, batchMs, cpuMicros() - cpu);
};
