import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { DeadLetterQueue, sourceOf, type DeadLetter } from '@agentbus/bus';
import { deadLetterMatcher, refOf, replayDeadLetters, type DeadLetterMatch } from '@agentbus/operations';
import { loadSchemaCatalog } from '@agentbus/codec';
import type { ConnectionConfig } from '@agentbus/config';
import { deadLetterTopicSuffix, topicName, type AgentEvent } from '@agentbus/events';
import {
  assertTopicsExist,
  CliError,
  cliLogger,
  connectKafka,
  createCodec,
  errorText,
  ExitCodes,
  formatTable,
  hexDump,
  hexPreview,
  isoTime,
  loadConnection,
  notFoundError,
  parsePositiveInt,
  printJson,
  printLine,
  truncate,
  usageError,
} from '../cliSupport';

type MatchOptions = Omit<DeadLetterMatch, 'refs'>;

interface ListOptions extends MatchOptions {
  json?: boolean;
  limit?: string;
}

interface ReplayOptions extends MatchOptions {
  dryRun?: boolean;
  yes?: boolean;
  json?: boolean;
}

export interface DlqRef {
  partition: number;
  offset: string;
}

const listExamples = `
Dead letters are oldest first. DLQ is partition:offset in the dead-letter topic, for dlq show.

Examples:
  $ agentbus dlq list
  $ agentbus dlq list --code EVENT_DECODE_FAILED --limit 20
  $ agentbus dlq list --source-topic task --json`;

const showExamples = `
Examples:
  $ agentbus dlq show 0:42
  $ agentbus dlq show 2:7 --json | jq .event

Exits 3 when there is no dead letter at that position.`;

const replayExamples = `
Each source record is sent back to its topic once, with its original key, bytes and headers,
however many subscriptions dead-lettered it. Event ids do not change, so stores deduplicate.
Without --yes it asks first, and refuses (exit 2) when stdin is not a terminal.

Examples:
  $ agentbus dlq replay --dry-run
  $ agentbus dlq replay --code HANDLER_FAILED --subscription task.created
  $ agentbus dlq replay --source-topic agentbus.task --yes`;

const addMatchOptions = (command: Command): Command =>
  command
    .option('--code <code>', 'only dead letters with this error code, e.g. EVENT_DECODE_FAILED')
    .option('--subscription <name>', 'only dead letters of this subscription')
    .option('--source-topic <topic>', 'only dead letters from this topic (a full name, or a category such as task)');

export const register = (program: Command): void => {
  const dlq = program.command('dlq').description('inspect and re-publish dead letters');
  addMatchOptions(dlq.command('list').description('list dead letters as a table'))
    .option('--limit <n>', 'show at most n dead letters')
    .option('--json', 'print them as a JSON array')
    .addHelpText('after', listExamples)
    .action((options: ListOptions) => list(options));
  dlq
    .command('show')
    .description('everything about one dead letter: why, where from, headers, the original bytes and the decoded event')
    .argument('<partition:offset>', 'where the dead letter sits in the dead-letter topic, as dlq list prints it')
    .option('--json', 'print it as JSON')
    .addHelpText('after', showExamples)
    .action((ref: string, options: { json?: boolean }) => show(ref, options));
  addMatchOptions(dlq.command('replay').description('re-publish the source records of matching dead letters to their topics'))
    .option('--dry-run', 'only say what would be re-published')
    .option('--yes', 'do not ask for confirmation')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', replayExamples)
    .action((options: ReplayOptions) => replay(options));
};

export const parseDlqRef = (value: string): DlqRef => {
  const match = /^(\d+):(\d+)$/.exec(value.trim());
  if (!match || !Number.isSafeInteger(Number(match[1]))) throw usageError(`<partition:offset>: expected a dead letter's position such as 0:42, got ${JSON.stringify(value)}`);
  return { partition: Number(match[1]), offset: BigInt(match[2]!).toString() };
};

export const deadLetterSummary = (d: DeadLetter) => ({
  ref: refOf(d),
  partition: d.partition,
  offset: d.offset,
  failedAt: isoTime(d.failedAt),
  code: d.code,
  reason: d.reason,
  sourceTopic: d.sourceTopic,
  sourcePartition: d.sourcePartition,
  sourceOffset: d.sourceOffset,
  subscription: d.subscription,
  service: d.service,
  attempts: d.attempts,
  key: d.key,
  valueBytes: d.value?.length ?? 0,
});

export const formatDeadLetterTable = (letters: readonly DeadLetter[]): string[] =>
  formatTable(
    ['DLQ', 'FAILED AT', 'CODE', 'SOURCE', 'SUBSCRIPTION', 'ATTEMPTS', 'REASON'],
    letters.map((d) => [refOf(d), isoTime(d.failedAt), d.code, sourceOf(d), d.subscription, String(d.attempts), truncate(d.reason.replace(/\s+/g, ' '), 70)]),
  );

type Decoded = { event: AgentEvent; error?: undefined } | { event?: undefined; error: string };

// A v4 carrier (agentbus-signature-carrier) holds a whole group's leaf hashes: kilobytes of
// base64 on one line. The text view shows its start and size; --json keeps every byte.
const headerShown = (value: string): string => (value.length <= 160 ? value : `${value.slice(0, 72)}… (${value.length.toLocaleString('en-US')} characters; --json shows all)`);

export const formatDeadLetter = (topic: string, d: DeadLetter, decoded: Decoded): string[] => {
  const field = (name: string, value: string) => `${name.padEnd(13)} ${value}`.trimEnd();
  const headers = Object.entries(d.headers);
  const width = Math.max(0, ...headers.map(([name]) => name.length));
  return [
    `dead letter ${refOf(d)} in ${topic}`,
    field('failed at', isoTime(d.failedAt)),
    field('code', d.code),
    field('reason', d.reason),
    field('source', `${d.sourceTopic} partition ${d.sourcePartition} offset ${d.sourceOffset}`),
    field('subscription', d.subscription),
    field('service', d.service),
    field('attempts', String(d.attempts)),
    field('key', d.key ?? '(null)'),
    field('headers', headers.length === 0 ? '(none)' : ''),
    ...headers.map(([name, value]) => `  ${name.padEnd(width)}  ${headerShown(value)}`),
    field('value', d.value ? `${d.value.length} bytes` : '(null)'),
    ...(d.value ? hexDump(d.value).map((row) => `  ${row}`) : []),
    ...(decoded.event
      ? [field('event', ''), ...JSON.stringify(decoded.event, null, 2).split('\n').map((line) => `  ${line}`)]
      : [field('event', `not decodable: ${decoded.error}`)]),
  ];
};

const openQueue = async (connection: ConnectionConfig): Promise<DeadLetterQueue> => {
  const kafka = await connectKafka(connection, cliLogger());
  const topic = topicName(connection.topicPrefix, deadLetterTopicSuffix);
  await assertTopicsExist(kafka, [topic]);
  return new DeadLetterQueue(kafka, topic);
};

const list = async (options: ListOptions): Promise<void> => {
  const limit = options.limit === undefined ? undefined : parsePositiveInt('--limit', options.limit);
  const connection = loadConnection();
  const queue = await openQueue(connection);
  const letters = await queue.list({ where: deadLetterMatcher(options, connection.topicPrefix), ...(limit === undefined ? {} : { limit }) });
  if (options.json) printJson(letters.map(deadLetterSummary));
  else if (letters.length === 0) printLine(`no matching dead letters in ${queue.topic}`);
  else formatDeadLetterTable(letters).forEach(printLine);
};

const show = async (refText: string, options: { json?: boolean }): Promise<void> => {
  const ref = parseDlqRef(refText);
  const connection = loadConnection();
  const queue = await openQueue(connection);
  const [found] = await queue.list({ where: (d) => d.partition === ref.partition && d.offset === ref.offset });
  if (!found) throw notFoundError(`no dead letter at partition ${ref.partition} offset ${ref.offset} of ${queue.topic}`);
  const decoded = await decode(connection, found.value);
  if (options.json) {
    printJson({
      ...deadLetterSummary(found),
      headers: found.headers,
      value: found.value ? { bytes: found.value.length, hex: hexPreview(found.value), base64: found.value.toString('base64') } : null,
      event: decoded.event ?? null,
      decodeError: decoded.error ?? null,
    });
  } else formatDeadLetter(queue.topic, found, decoded).forEach(printLine);
};

const decode = async (connection: ConnectionConfig, value: Buffer | null): Promise<Decoded> => {
  try {
    return { event: (await createCodec(connection, loadSchemaCatalog()).decode(value)).event };
  } catch (error) {
    return { error: errorText(error) };
  }
};

const replay = async (options: ReplayOptions): Promise<void> => {
  if (!options.yes && !options.dryRun && !process.stdin.isTTY) {
    throw usageError('dlq replay re-publishes records to their source topics and cannot ask for confirmation when stdin is not a terminal: pass --yes (or --dry-run to see what it would do)');
  }
  const connection = loadConnection();
  const queue = await openQueue(connection);
  const result = await replayDeadLetters(queue, {
    ...options,
    prefix: connection.topicPrefix,
    ...(options.yes ? {} : { confirm: (n: number) => confirm(`Re-publish ${plural(n, 'source record')} to their topics? [y/N] `) }),
  });
  if (result.cancelled) throw new CliError('cancelled; nothing was re-published', ExitCodes.failure);
  if (options.json) {
    printJson({ dryRun: result.dryRun, matchingDeadLetters: result.matchingDeadLetters, sourceRecords: result.sourceRecords, republished: result.republished });
    return;
  }
  printLine(`${options.dryRun ? 'would re-publish' : 're-published'} ${plural(result.letters.length, 'source record')} (from ${plural(result.matchingDeadLetters, 'matching dead letter')})`);
  result.letters.forEach((d) => printLine(`  ${sourceOf(d)}  key ${d.key ?? '(null)'}  ${d.code}`));
};

const plural = (n: number, noun: string): string => `${n} ${noun}${n === 1 ? '' : 's'}`;

const confirm = async (question: string): Promise<boolean> => {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } finally {
    rl.close();
  }
};
