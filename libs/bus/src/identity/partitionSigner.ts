import type { Admin, ICustomPartitioner, IHeaders, Kafka, Message } from 'kafkajs';
import { signatureHeader, signRecordGroups, signRecords, type SigningKey } from '@agentbus/identity';
import { keyHashPartitioner, murmur2 } from '@agentbus/kafka';
import { Headers } from '../kafka/headers';

const routingKeyOf = (headers: IHeaders | undefined): string | undefined => (headers?.[Headers.routingKey] === undefined ? undefined : String(headers[Headers.routingKey]));

/**
 * Signs what one produce sends (v4: one signature, each partition's records a group whose last
 * record carries it), so it gives every message its partition first, as the producer's
 * partitioner would have: murmur2 of the key modulo the topic's partitions, round-robin without a
 * key. A topic's partition count comes from its metadata, read once, and is kept current by the
 * producer's own partitioner (`partitioner`), which sees kafkajs' metadata on every send. A lone
 * record is signed as a v3 tree of one: self-contained, and smaller than a carrier.
 */
export class PartitionSigner {
  readonly #counts = new Map<string, number>();
  readonly #roundRobin = new Map<string, number>();
  #admin: Promise<Admin> | undefined;

  constructor(
    private readonly kafka: Kafka,
    readonly key: SigningKey,
  ) {}

  /** The producer's `createPartitioner`: keyHashPartitioner, noting each topic's partition count as kafkajs knows it. */
  readonly partitioner: ICustomPartitioner = () => {
    const inner = keyHashPartitioner();
    return (args) => {
      this.#counts.set(args.topic, args.partitionMetadata.length);
      return inner(args);
    };
  };

  /** Sets each message's partition and its `agentbus-signature` header; the headers it covers must already be set. */
  async sign(topicMessages: readonly { topic: string; messages: Message[] }[]): Promise<void> {
    const total = topicMessages.reduce((n, t) => n + t.messages.length, 0);
    if (total === 0) return;
    if (total === 1) {
      const { topic, messages } = topicMessages.find((t) => t.messages.length === 1)!;
      const message = messages[0]!;
      message.headers ??= {};
      message.headers[signatureHeader] = signRecords(this.key, [{ topic, routingKey: routingKeyOf(message.headers), value: message.value as Buffer }])[0]!;
      return;
    }
    await this.knowCounts(topicMessages.map((t) => t.topic));
    const groups: { topic: string; messages: Message[] }[] = [];
    for (const { topic, messages } of topicMessages) {
      const count = this.#counts.get(topic)!;
      const byPartition = new Map<number, Message[]>();
      for (const message of messages) {
        message.partition ??= this.partitionOf(topic, message.key, count);
        const group = byPartition.get(message.partition);
        if (group) group.push(message);
        else byPartition.set(message.partition, [message]);
      }
      for (const group of byPartition.values()) groups.push({ topic, messages: group });
    }
    const headers = signRecordGroups(
      this.key,
      groups.map(({ topic, messages }) => messages.map((m) => ({ topic, routingKey: routingKeyOf(m.headers), value: m.value as Buffer }))),
    );
    groups.forEach(({ messages }, g) =>
      messages.forEach((message, i) => {
        message.headers ??= {};
        message.headers[signatureHeader] = headers[g]![i]!;
      }),
    );
  }

  async close(): Promise<void> {
    const admin = this.#admin;
    this.#admin = undefined;
    if (admin) await (await admin.catch(() => undefined))?.disconnect();
  }

  private partitionOf(topic: string, key: Message['key'], count: number): number {
    if (key !== null && key !== undefined) return (murmur2(key) & 0x7fffffff) % count;
    const next = ((this.#roundRobin.get(topic) ?? Math.floor(Math.random() * 0x7fffffff)) + 1) & 0x7fffffff;
    this.#roundRobin.set(topic, next);
    return next % count;
  }

  private async knowCounts(topics: readonly string[]): Promise<void> {
    const missing = [...new Set(topics.filter((t) => !this.#counts.has(t)))];
    if (missing.length === 0) return;
    this.#admin ??= (async () => {
      const admin = this.kafka.admin();
      await admin.connect();
      return admin;
    })();
    let admin: Admin;
    try {
      admin = await this.#admin;
    } catch (error) {
      this.#admin = undefined;
      throw error;
    }
    const { topics: found } = await admin.fetchTopicMetadata({ topics: missing });
    for (const { name, partitions } of found) this.#counts.set(name, partitions.length);
  }
}
