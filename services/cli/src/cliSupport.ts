import { BusErrorCodes } from '@agentbus/bus';
import { AvroEventCodec, createRegistryClient, type SchemaCatalog } from '@agentbus/codec';
import { connectionSchema, parseConfig, parseConfigOrExit, type ConnectionConfig } from '@agentbus/config';
import { isAgentbusError } from '@agentbus/events';
import { assertBrokerReachable, createKafka } from '@agentbus/kafka';
import { createLogger, type Logger } from '@agentbus/logger';
import type { Kafka } from 'kafkajs';

export const ExitCodes = { ok: 0, failure: 1, usage: 2, notFound: 3 } as const;
export type ExitCode = (typeof ExitCodes)[keyof typeof ExitCodes];

/** An error whose message is meant for the operator as it is, with the exit code it ends the run with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const usageError = (message: string): CliError => new CliError(message, ExitCodes.usage);
export const notFoundError = (message: string): CliError => new CliError(message, ExitCodes.notFound);

const usageCodes = new Set<string>([BusErrorCodes.invalidPattern, BusErrorCodes.invalidFilter]);

export const exitCodeFor = (error: unknown): ExitCode => {
  if (error instanceof CliError) return error.exitCode;
  if (isAgentbusError(error) && usageCodes.has(error.code)) return ExitCodes.usage;
  return ExitCodes.failure;
};

/** An error in one line, with its stable code when it has one. */
export const errorText = (error: unknown): string =>
  isAgentbusError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);

/** Says what went wrong on stderr, in one line unless LOG_LEVEL asks for the stack. */
export const reportFailure = (error: unknown): ExitCode => {
  const verbose = ['debug', 'trace'].includes(process.env.LOG_LEVEL ?? '');
  const text = error instanceof Error ? (verbose && error.stack ? error.stack : error.message) : String(error);
  process.stderr.write(`agentbus: ${text}\n`);
  return exitCodeFor(error);
};

/** Exits once everything written to stdout has been flushed, so piped output is never cut short. */
export const exitWith = (code: number): void => {
  process.stdout.write('', () => process.exit(code));
};

export const printLine = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

export const printJson = (value: unknown): void => printLine(JSON.stringify(value, null, 2));

/** The connection variables every command shares; a bad one stops the run with one line naming it. */
export const loadConnection = (): ConnectionConfig => parseConfigOrExit(() => parseConfig(connectionSchema));

/** Logs go to stderr and say little by default, so stdout stays clean for output and pipes. */
export const cliLogger = (): Logger => createLogger({ name: 'agentbus-cli', level: process.env.LOG_LEVEL ?? 'warn', pretty: false, destination: process.stderr });

/**
 * A kafkajs client, after proving the broker answers: kafkajs alone retries for a long time before
 * failing. Its warnings (partitioner defaults, idempotent retries) are advice for services, so a
 * CLI run shows only its errors unless LOG_LEVEL asks for more.
 */
export const connectKafka = async (connection: ConnectionConfig, logger: Logger): Promise<Kafka> => {
  await assertBrokerReachable(connection.kafka);
  const kafkaLogger = logger.child({ component: 'kafka' }, { level: process.env.LOG_LEVEL ?? 'error' });
  return createKafka({ ...connection.kafka, clientId: `${connection.kafka.clientId}-cli` }, kafkaLogger);
};

export const createCodec = (connection: ConnectionConfig, catalog: SchemaCatalog): AvroEventCodec =>
  new AvroEventCodec({ registry: createRegistryClient(connection.registry), catalog, topicPrefix: connection.topicPrefix });

export const assertTopicsExist = async (kafka: Kafka, topics: readonly string[]): Promise<void> => {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t));
    if (missing.length > 0) throw new CliError(`topic${missing.length > 1 ? 's' : ''} ${missing.join(', ')} not found; run: agentbus topics setup`, ExitCodes.failure);
  } finally {
    await admin.disconnect();
  }
};

export const parsePositiveInt = (argument: string, value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw usageError(`${argument}: expected a positive integer, got ${JSON.stringify(value)}`);
  return n;
};

export const isoTime = (epochMs: number): string => (Number.isFinite(epochMs) && epochMs > 0 ? new Date(epochMs).toISOString() : '-');

export const truncate = (text: string, max: number): string => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export const formatTable = (headers: readonly string[], rows: readonly (readonly string[])[]): string[] => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)];
};

/** Space-separated hex of the first `max` bytes, with how many were left out. */
export const hexPreview = (bytes: Buffer, max = 64): string => {
  const shown = [...bytes.subarray(0, max)].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  return bytes.length > max ? `${shown} … (+${bytes.length - max} bytes)` : shown;
};

/** `hexdump -C` style rows of the first `max` bytes: offset, hex, and printable ASCII. */
export const hexDump = (bytes: Buffer, max = 64): string[] => {
  const rows: string[] = [];
  for (let at = 0; at < Math.min(bytes.length, max); at += 16) {
    const row = [...bytes.subarray(at, Math.min(at + 16, max))];
    const hex = row.map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const text = row.map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    rows.push(`${at.toString(16).padStart(4, '0')}  ${hex.padEnd(47)}  ${text}`);
  }
  if (bytes.length > max) rows.push(`… ${bytes.length - max} more bytes`);
  return rows;
};

/** Calls `stop` on the first Ctrl-C or SIGTERM; a second one exits at once. Returns the undo. */
export const onInterrupt = (stop: () => void): (() => void) => {
  let interrupted = false;
  const handler = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    stop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
};
