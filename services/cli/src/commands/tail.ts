import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import type { Consumer, Kafka, KafkaMessage } from 'kafkajs';
import { compileFilter, enumPathsOf, Headers, parsePattern, routesFromCatalog, type ContentFilter } from '@agentbus/bus';
import { loadSchemaCatalog, type AvroEventCodec, type SchemaCatalog } from '@agentbus/codec';
import { topicName, type AgentEvent, type EventCategory } from '@agentbus/events';
import {
  assertTopicsExist,
  cliLogger,
  connectKafka,
  createCodec,
  errorText,
  isoTime,
  loadConnection,
  onInterrupt,
  parsePositiveInt,
  printLine,
  truncate,
  usageError,
} from '../cliSupport';

interface TailOptions {
  filter?: string;
  from: string;
  json?: boolean;
  limit?: string;
}

export type From = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'time'; at: number };

export interface TailQuery {
  categories: EventCategory[];
  matches: (event: AgentEvent) => boolean;
  /** False only when the record's routing-key header proves the event cannot match: no decode needed. */
  mayMatch: (routingKey: string | undefined) => boolean;
}

const tailExamples = `
Patterns are routing-key patterns: * is one word, # is zero or more words.
Filters are Mongo-style JSON over event fields; enum fields compare by symbol order.
--limit counts printed events; undecodable records are reported but not counted.

Examples:
  $ agentbus tail 'task.*'
  $ agentbus tail '#' --from earliest --limit 20
  $ agentbus tail 'task.created' --filter '{"payload.priority":{"$gte":"high"}}'
  $ agentbus tail 'agent.#' --from 2026-11-24T10:00:00Z --json | jq .event.type`;

export const register = (program: Command): void => {
  program
    .command('tail')
    .description('print matching events as they arrive, decoded, one line each')
    .argument('<pattern>', 'routing-key pattern, e.g. task.* or agent.# or #')
    .option('--filter <json>', 'content filter, e.g. {"payload.priority":{"$gte":"high"}}')
    .option('--from <when>', 'earliest, latest, or an ISO 8601 time', 'latest')
    .option('--json', 'print one JSON object per line: {topic, partition, offset, key, event}, or error when undecodable')
    .option('--limit <n>', 'exit after printing n events')
    .addHelpText('after', tailExamples)
    .action((pattern: string, options: TailOptions) => tail(pattern, options));
};

const isoDateTime = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export const parseFrom = (value: string): From => {
  if (value === 'earliest' || value === 'latest') return { kind: value };
  const at = isoDateTime.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(at)) throw usageError(`--from: expected earliest, latest or an ISO 8601 time such as 2026-11-24T10:00:00Z, got ${JSON.stringify(value)}`);
  return { kind: 'time', at };
};

/** Validates the pattern and filter as a subscription would, before anything connects. */
export const tailQuery = (patternText: string, filterJson: string | undefined, catalog: SchemaCatalog): TailQuery => {
  const pattern = parsePattern(patternText);
  const categories = routesFromCatalog(catalog).categoriesFor(pattern);
  let filter: ContentFilter | undefined;
  if (filterJson !== undefined) {
    try {
      filter = JSON.parse(filterJson) as ContentFilter;
    } catch (error) {
      throw usageError(`--filter: not valid JSON: ${(error as Error).message}`);
    }
  }
  const matchesFilter = compileFilter(filter, enumPathsOf(catalog.schemas.filter((s) => categories.includes(s.category))));
  return {
    categories,
    matches: (event) => pattern.matches(event.routingKey) && matchesFilter(event),
    mayMatch: (routingKey) => routingKey === undefined || pattern.matches(routingKey),
  };
};

const fieldText = (value: unknown): string => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return /^[^\s"=]+$/.test(text) && text.length <= 80 ? text : JSON.stringify(truncate(text, 80));
};

const flatten = (value: Record<string, unknown>, at = ''): [string, unknown][] =>
  Object.entries(value).flatMap(([name, v]): [string, unknown][] => {
    if (v === null || v === undefined) return [];
    if (typeof v === 'object' && !Array.isArray(v)) return flatten(v as Record<string, unknown>, `${at}${name}.`);
    return [[`${at}${name}`, v]];
  });

/** `time type routingKey source key field=value...`; null fields are left out, long values cut. */
export const formatEventLine = (event: AgentEvent, key: string | null): string =>
  [
    isoTime(event.timestamp),
    event.type,
    event.routingKey,
    event.source,
    key ?? '-',
    ...flatten(event.payload as Record<string, unknown>).map(([name, v]) => `${name}=${fieldText(v)}`),
  ].join(' ');

export interface RecordPosition {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  timestamp: number;
}

export const formatUndecodableLine = (at: RecordPosition, reason: string): string =>
  `${isoTime(at.timestamp)} (undecodable) ${at.topic} partition ${at.partition} offset ${at.offset} key ${at.key ?? '-'}: ${reason}`;

const tail = async (patternText: string, options: TailOptions): Promise<void> => {
  const catalog = loadSchemaCatalog();
  const query = tailQuery(patternText, options.filter, catalog);
  const from = parseFrom(options.from);
  const limit = options.limit === undefined ? undefined : parsePositiveInt('--limit', options.limit);
  const connection = loadConnection();
  const logger = cliLogger();
  const kafka = await connectKafka(connection, logger);
  const codec = createCodec(connection, catalog);
  const topics = query.categories.map((c) => topicName(connection.topicPrefix, c));
  await assertTopicsExist(kafka, topics);
  const seeks = from.kind === 'time' ? await offsetsAt(kafka, topics, from.at) : [];

  // A throwaway group that never commits: tailing leaves no offsets behind, and unlike a bus
  // subscription it never dead-letters what it cannot decode.
  const consumer = kafka.consumer({ groupId: `agentbus-cli-tail-${randomUUID()}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
  let stop!: () => void;
  let crash!: (error: Error) => void;
  const stopped = new Promise<void>((resolve, reject) => {
    stop = resolve;
    crash = reject;
  });
  const removeInterrupt = onInterrupt(stop);
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) crash(payload.error);
  });
  if (process.stderr.isTTY) {
    const removeJoin = consumer.on(consumer.events.GROUP_JOIN, () => {
      removeJoin();
      process.stderr.write(`tailing ${patternText} on ${topics.join(', ')} from ${options.from}; Ctrl-C to stop\n`);
    });
  }
  let printed = 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: from.kind !== 'latest' });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, partition, message }) => {
        if (limit !== undefined && printed >= limit) return;
        const line = await describeRecord(codec, query, { topic, partition, message }, options.json === true);
        if (line === undefined) return;
        printLine(line.text);
        if (line.event && ++printed === limit) stop();
      },
    });
    for (const seek of seeks) consumer.seek(seek);
    await stopped;
  } finally {
    removeInterrupt();
    await disconnectWithin(consumer, 5000);
  }
};

const describeRecord = async (
  codec: AvroEventCodec,
  query: TailQuery,
  { topic, partition, message }: { topic: string; partition: number; message: KafkaMessage },
  json: boolean,
): Promise<{ text: string; event: boolean } | undefined> => {
  const routingKeyHeader = message.headers?.[Headers.routingKey]?.toString();
  if (!query.mayMatch(routingKeyHeader)) return undefined;
  const position = { topic, partition, offset: message.offset, key: message.key?.toString('utf8') ?? null };
  let event: AgentEvent;
  try {
    event = (await codec.decode(message.value)).event;
  } catch (error) {
    const reason = errorText(error);
    return { text: json ? JSON.stringify({ ...position, error: reason }) : formatUndecodableLine({ ...position, timestamp: Number(message.timestamp) }, reason), event: false };
  }
  if (!query.matches(event)) return undefined;
  return { text: json ? JSON.stringify({ ...position, event }) : formatEventLine(event, position.key), event: true };
};

/** For each partition, the first offset at or after `at`; the end of the partition when there is none. */
const offsetsAt = async (kafka: Kafka, topics: readonly string[], at: number): Promise<{ topic: string; partition: number; offset: string }[]> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const perTopic = await Promise.all(topics.map(async (topic) => (await admin.fetchTopicOffsetsByTimestamp(topic, at)).map((p) => ({ topic, partition: p.partition, offset: p.offset }))));
    return perTopic.flat();
  } finally {
    await admin.disconnect();
  }
};

const disconnectWithin = async (consumer: Consumer, ms: number): Promise<void> => {
  await Promise.race([consumer.disconnect().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, ms).unref())]);
};
