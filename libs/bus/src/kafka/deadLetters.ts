import type { IHeaders, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import { readToEnd } from '@agentbus/kafka';
import { isAgentbusError, type AgentEvent } from '@agentbus/events';
import type { AvroEventCodec } from '@agentbus/codec';
import { carrierHeaderName, isCarrierHeader, memberCarrierOffset, signatureHeader } from '@agentbus/identity';
import { DeadLetterHeaders, headerText, republishedFromHeader } from './headers';

export interface Failure {
  error: unknown;
  attempts: number;
  subscription: string;
  service: string;
  failedAt: number;
}

export interface DeadLetter {
  /** Where the dead letter itself sits. */
  partition: number;
  offset: string;
  key: string | null;
  /** The original record's bytes, untouched. */
  value: Buffer | null;
  /** The original record's headers, without the dead-letter ones, as text (bytes that are not UTF-8 as `base64:<…>`). */
  headers: Record<string, string>;
  /** The same headers as fetched, bytes untouched: what is re-published (a v3 agentbus-signature is binary). */
  rawHeaders: IHeaders;
  reason: string;
  code: string;
  sourceTopic: string;
  sourcePartition: number;
  sourceOffset: string;
  subscription: string;
  service: string;
  attempts: number;
  failedAt: number;
  /** The original event, when its bytes can be decoded. */
  event?: AgentEvent;
}

const describe = (error: unknown): { reason: string; code: string } => {
  if (isAgentbusError(error)) return { reason: error.message, code: error.code };
  if (error instanceof Error) return { reason: `${error.name}: ${error.message}`, code: 'HANDLER_FAILED' };
  return { reason: String(error), code: 'HANDLER_FAILED' };
};

/**
 * A v4 member's carrier, from the records fetched with it: a copy of the member kept away from its
 * group (a dead letter, and what `dlq replay` re-publishes) carries it, or it verifies nowhere.
 */
const carrierOf = (original: KafkaMessage, fetchedWith: readonly KafkaMessage[] | undefined): Buffer | undefined => {
  const at = fetchedWith && memberCarrierOffset(original.headers?.[signatureHeader] as Buffer | string | undefined, original.offset);
  if (at === undefined) return undefined;
  const signature = fetchedWith!.find((m) => m.offset === at)?.headers?.[signatureHeader];
  return isCarrierHeader(signature as Buffer | undefined) ? (signature as Buffer) : undefined;
};

/**
 * The original key, bytes and headers, plus why and where it failed: nothing of the original is
 * lost. `fetchedWith`: the records fetched with it, where a v4 member's carrier is.
 */
export const deadLetterMessage = (original: KafkaMessage, source: { topic: string; partition: number }, failure: Failure, fetchedWith?: readonly KafkaMessage[]): Message => {
  const { reason, code } = describe(failure.error);
  const carrier = carrierOf(original, fetchedWith);
  const headers: IHeaders = {
    ...(original.headers ?? {}),
    ...(carrier ? { [carrierHeaderName]: carrier } : {}),
    [DeadLetterHeaders.reason]: reason.slice(0, 4000),
    [DeadLetterHeaders.code]: code,
    [DeadLetterHeaders.sourceTopic]: source.topic,
    [DeadLetterHeaders.sourcePartition]: String(source.partition),
    [DeadLetterHeaders.sourceOffset]: original.offset,
    [DeadLetterHeaders.subscription]: failure.subscription,
    [DeadLetterHeaders.service]: failure.service,
    [DeadLetterHeaders.attempts]: String(failure.attempts),
    [DeadLetterHeaders.failedAt]: String(failure.failedAt),
  };
  return { key: original.key, value: original.value, headers, timestamp: String(failure.failedAt) };
};

const deadLetterHeaderNames = new Set<string>(Object.values(DeadLetterHeaders));

export type DeadLetterFacts = Pick<DeadLetter, 'reason' | 'code' | 'sourceTopic' | 'sourcePartition' | 'sourceOffset' | 'subscription' | 'service' | 'attempts' | 'failedAt'>;

/** What a dead letter's headers say about its failure, wherever the headers were read from (Kafka, the audit trail). */
export const deadLetterFacts = (all: Readonly<Record<string, string>>): DeadLetterFacts => ({
  reason: all[DeadLetterHeaders.reason] ?? '(unknown)',
  code: all[DeadLetterHeaders.code] ?? '(unknown)',
  sourceTopic: all[DeadLetterHeaders.sourceTopic] ?? '(unknown)',
  sourcePartition: Number(all[DeadLetterHeaders.sourcePartition] ?? -1),
  sourceOffset: all[DeadLetterHeaders.sourceOffset] ?? '-1',
  subscription: all[DeadLetterHeaders.subscription] ?? '(unknown)',
  service: all[DeadLetterHeaders.service] ?? '(unknown)',
  attempts: Number(all[DeadLetterHeaders.attempts] ?? 0),
  failedAt: Number(all[DeadLetterHeaders.failedAt] ?? 0),
});

export const parseDeadLetter = (partition: number, message: KafkaMessage): DeadLetter => {
  const all = headerText(message.headers);
  const original = (name: string) => !deadLetterHeaderNames.has(name);
  const headers = Object.fromEntries(Object.entries(all).filter(([name]) => original(name)));
  const rawHeaders = Object.fromEntries(Object.entries(message.headers ?? {}).filter(([name]) => original(name)));
  return { partition, offset: message.offset, key: message.key?.toString('utf8') ?? null, value: message.value, headers, rawHeaders, ...deadLetterFacts(all) };
};

/** Reads and re-publishes dead letters. Re-published events keep their ids, so stores deduplicate them. */
export class DeadLetterQueue {
  constructor(
    private readonly kafka: Kafka,
    readonly topic: string,
    private readonly codec?: AvroEventCodec,
  ) {}

  async list(options: { where?: (d: DeadLetter) => boolean; limit?: number } = {}): Promise<DeadLetter[]> {
    const found: DeadLetter[] = [];
    await readToEnd(this.kafka, this.topic, async ({ partition, message }) => {
      const dead = parseDeadLetter(partition, message);
      if (this.codec && dead.value) {
        dead.event = await this.codec.decode(dead.value).then(
          (d) => d.event,
          () => undefined,
        );
      }
      if (!options.where || options.where(dead)) found.push(dead);
    });
    found.sort((a, b) => a.failedAt - b.failedAt || a.partition - b.partition);
    return options.limit === undefined ? found : found.slice(0, options.limit);
  }

  /**
   * Sends each matching dead letter back to its source topic with its original key, bytes and
   * headers. Every subscription that failed on a record dead-letters it, so one source record
   * can have several dead letters; it is re-published once.
   */
  async republish(options: { where?: (d: DeadLetter) => boolean; producer?: Producer } = {}): Promise<DeadLetter[]> {
    const bySource = new Map<string, DeadLetter>();
    for (const d of await this.list(options)) {
      if (d.sourceTopic !== '(unknown)') bySource.set(sourceOf(d), bySource.get(sourceOf(d)) ?? d);
    }
    const letters = [...bySource.values()];
    if (letters.length === 0) return [];
    const producer = options.producer ?? this.kafka.producer({ idempotent: true });
    if (!options.producer) await producer.connect();
    try {
      await producer.sendBatch({
        acks: -1,
        topicMessages: groupBy(letters, (d) => d.sourceTopic).map(([topic, group]) => ({
          topic,
          messages: group.map((d) => ({
            key: d.key,
            value: d.value,
            headers: { ...d.rawHeaders, [republishedFromHeader]: `${this.topic}/${d.partition}/${d.offset}` },
          })),
        })),
      });
    } finally {
      if (!options.producer) await producer.disconnect();
    }
    return letters;
  }
}

export const sourceOf = (d: Pick<DeadLetter, 'sourceTopic' | 'sourcePartition' | 'sourceOffset'>): string => `${d.sourceTopic}/${d.sourcePartition}/${d.sourceOffset}`;

const groupBy = <T>(items: T[], key: (t: T) => string): [string, T[]][] => {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(key(item), [...(groups.get(key(item)) ?? []), item]);
  return [...groups];
};
