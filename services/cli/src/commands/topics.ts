import type { Command } from 'commander';
import { createKafkaEventBus } from '@agentbus/bus';
import { agentbusTopics, ensureTopics } from '@agentbus/kafka';
import { createDatabase } from '@agentbus/postgres-sink';
import { ensureLiveReadModels } from '@agentbus/read-models';
import { cliLogger, connectKafka, formatTable, loadConnection, parsePositiveInt, printJson, printLine } from '../cliSupport';

interface SetupOptions {
  partitions?: string;
  replication?: string;
  json?: boolean;
}

export interface SetupResult {
  createdTopics: string[];
  topics: string[];
  subjects: { subject: string; version: number; id: number }[];
  readModels: { schema: string; generation: number };
}

const setupExamples = `
Creates what is missing and leaves what exists as it is, so it is safe to run again.
Topics get the partitions and replication given here, else AGENTBUS_TOPIC_PARTITIONS and
AGENTBUS_TOPIC_REPLICATION; existing topics keep theirs.

Examples:
  $ agentbus topics setup
  $ agentbus topics setup --partitions 12 --replication 3
  $ AGENTBUS_TOPIC_PREFIX=staging agentbus topics setup --json`;

export const register = (program: Command): void => {
  const topics = program.command('topics').description('the Kafka topics, registry schemas and read models agentbus needs');
  topics
    .command('setup')
    .description('create the agentbus topics, register every schema version (BACKWARD_TRANSITIVE) and prepare the read models')
    .option('--partitions <n>', 'partitions for topics it creates (default: AGENTBUS_TOPIC_PARTITIONS or 3)')
    .option('--replication <n>', 'replication factor for topics it creates (default: AGENTBUS_TOPIC_REPLICATION or 1)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', setupExamples)
    .action((options: SetupOptions) => setup(options));
};

const setup = async (options: SetupOptions): Promise<void> => {
  const partitionsOption = options.partitions === undefined ? undefined : parsePositiveInt('--partitions', options.partitions);
  const replicationOption = options.replication === undefined ? undefined : parsePositiveInt('--replication', options.replication);
  const connection = loadConnection();
  const logger = cliLogger();
  const settings = {
    prefix: connection.topicPrefix,
    partitions: partitionsOption ?? connection.topics.partitions,
    replicationFactor: replicationOption ?? connection.topics.replicationFactor,
  };

  const kafka = await connectKafka(connection, logger);
  const specs = agentbusTopics(settings);
  const admin = kafka.admin();
  await admin.connect();
  let createdTopics: string[];
  try {
    createdTopics = await ensureTopics(admin, specs);
  } finally {
    await admin.disconnect();
  }

  const bus = createKafkaEventBus({ connection, service: 'agentbus-cli', logger });
  let subjects: SetupResult['subjects'];
  try {
    subjects = await bus.registerSchemas();
  } finally {
    await bus.close({ deadlineMs: 5000 });
  }

  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-cli' });
  let readModels: SetupResult['readModels'];
  try {
    readModels = await ensureLiveReadModels(db);
  } finally {
    await db.destroy();
  }

  const result: SetupResult = { createdTopics, topics: specs.map((s) => s.topic), subjects, readModels };
  if (options.json) printJson(result);
  else formatSetup(result, settings).forEach(printLine);
};

export const formatSetup = (result: SetupResult, settings: { partitions: number; replicationFactor: number }): string[] => {
  const created = new Set(result.createdTopics);
  const versions = new Map<string, string[]>();
  for (const s of result.subjects) versions.set(s.subject, [...(versions.get(s.subject) ?? []), `v${s.version} id ${s.id}`]);
  return [
    `topics: ${result.createdTopics.length} created (${settings.partitions} partitions, replication ${settings.replicationFactor}), ${result.topics.length - result.createdTopics.length} already existed`,
    ...result.topics.map((t) => `  ${created.has(t) ? 'created ' : 'exists  '}${t}`),
    `schemas: ${result.subjects.length} versions registered under ${versions.size} subjects, compatibility BACKWARD_TRANSITIVE`,
    ...formatTable(
      ['SUBJECT', 'VERSIONS'],
      [...versions].map(([subject, vs]) => [subject, vs.join(', ')]),
    ).map((line) => `  ${line}`),
    `read models: generation ${result.readModels.generation} is live in schema ${result.readModels.schema}`,
  ];
};
