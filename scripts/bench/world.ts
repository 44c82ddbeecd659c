import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import { createKafkaEventBus, type KafkaEventBus } from '@agentbus/bus';
import type { ConnectionConfig } from '@agentbus/config';
import { eventCategories, topicName } from '@agentbus/events';
import { assertBrokerReachable } from '@agentbus/kafka';
import { createLogger, type Logger } from '@agentbus/logger';
import { createTestTopics, integrationConfig, type TestTopics } from '@agentbus/testing';
import { loadInfraSettings } from '../infra/settings';

export const config: ConnectionConfig = integrationConfig();

let logStream: WriteStream | undefined;
let logger: Logger | undefined;

/**
 * The bus logs as a service would (level info, JSON), into a file instead of the terminal, so
 * the cost of its logging is measured but the table stays readable.
 */
export const benchLogger = (file: string): Logger => {
  if (logger) return logger;
  mkdirSync(dirname(file), { recursive: true });
  logStream = createWriteStream(file, { flags: 'w' });
  logger = createLogger({ name: 'bench', level: process.env.LOG_LEVEL ?? 'info', pretty: false, destination: logStream });
  return logger;
};

export const closeLogs = (): Promise<void> => new Promise((resolve) => (logStream ? logStream.end(resolve) : resolve()));

const registryAnswers = async (url: string): Promise<string | undefined> => {
  try {
    const response = await fetch(`${url}/subjects`, { signal: AbortSignal.timeout(5000) });
    return response.ok ? undefined : `schema registry at ${url} answered HTTP ${response.status}`;
  } catch (error) {
    return `schema registry at ${url} is unreachable: ${(error as Error).message}`;
  }
};

const problemsNow = async (): Promise<string[]> => {
  const problems: string[] = [];
  await assertBrokerReachable(config.kafka, 8000).catch((e: Error) => problems.push(e.message));
  const registry = await registryAnswers(config.registry.url);
  if (registry) problems.push(registry);
  return problems;
};

/**
 * Kafka and the registry must answer; Postgres (replay.*, projector.latency) is checked when a database is created. With `start`, whatever is missing is
 * started the way `npm run infra -- up kafka registry` would (and left running afterwards).
 */
export const ensureInfra = async (start: boolean, say: (line: string) => void): Promise<void> => {
  let problems = await problemsNow();
  if (problems.length > 0 && start) {
    say(`infrastructure not ready (${problems.join('; ')}); starting Kafka and the registry…`);
    const { up } = await import('../infra/infra');
    await up(loadInfraSettings(), ['kafka', 'registry'], (r) => say(`  ${r.part} ready after ${r.seconds?.toFixed(1)} s`));
    problems = await problemsNow();
  }
  if (problems.length > 0) {
    throw new Error(`The benchmarks need Kafka and the schema registry. Start them with: npm run infra -- up\n  - ${problems.join('\n  - ')}`);
  }
};

export interface BenchWorld {
  prefix: string;
  topics: TestTopics;
  /** `<prefix>.task`, where the bus writes task.created. */
  taskTopic: string;
  /** The topics a `#` subscription reads: one per event category. */
  categoryTopics: string[];
  /** A bus on this prefix with every schema registered; created on first call. */
  bus: () => Promise<KafkaEventBus>;
  /** Registry subjects created under this prefix, deleted by cleanup. */
  subjects: Set<string>;
  cleanup: () => Promise<void>;
}

/** Apicurio's ccompat `GET /subjects` stops at 1000 names, so subjects are deleted by name as registered. */
const deleteSubjects = async (subjects: Iterable<string>): Promise<void> => {
  const url = config.registry.url;
  for (const subject of subjects) {
    const path = `${url}/subjects/${encodeURIComponent(subject)}`;
    await fetch(path, { method: 'DELETE', signal: AbortSignal.timeout(5000) });
    await fetch(`${path}?permanent=true`, { method: 'DELETE', signal: AbortSignal.timeout(5000) });
  }
};

/** Fresh agentbus topics (3 partitions each) under a unique prefix; cleanup deletes topics and subjects. */
export const benchWorld = async (label: string, log: Logger): Promise<BenchWorld> => {
  const topics = await createTestTopics(`bench-${label}`, config, 3);
  const connection: ConnectionConfig = { ...config, topicPrefix: topics.prefix };
  let bus: Promise<KafkaEventBus> | undefined;
  const subjects = new Set<string>();
  return {
    prefix: topics.prefix,
    topics,
    taskTopic: topicName(topics.prefix, 'task'),
    categoryTopics: eventCategories.map((c) => topicName(topics.prefix, c)),
    subjects,
    bus: () =>
      (bus ??= (async () => {
        const created = createKafkaEventBus({ connection, service: 'bench', logger: log });
        for (const { subject } of await created.registerSchemas()) subjects.add(subject);
        return created;
      })()),
    cleanup: async () => {
      if (bus) await (await bus).close({ deadlineMs: 10_000 });
      await topics.cleanup();
      await deleteSubjects(subjects).catch(() => undefined);
    },
  };
};
