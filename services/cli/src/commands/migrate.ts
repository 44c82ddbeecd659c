import type { Command } from 'commander';
import { loadSchemaCatalog } from '@agentbus/codec';
import { createDatabase } from '@agentbus/postgres-sink';
import { ensureLiveReadModels } from '@agentbus/read-models';
import { createCodec, loadConnection, printJson, printLine } from '../cliSupport';

interface MigrateOptions {
  registerSchemas?: boolean;
  json?: boolean;
}

export interface MigrateResult {
  readModels: { schema: string; generation: number };
  subjects?: { subject: string; version: number; id: number }[];
}

const migrateExamples = `
Brings the database up to date: the read-model migrations, the read views and the analyst role.
Safe to run again and from several places at once (an advisory lock serialises them). Kafka is
not touched, so it suits clusters where an operator (Strimzi) owns the topics; \`topics setup\`
does the same and creates the topics as well.

Examples:
  $ agentbus migrate
  $ agentbus migrate --register-schemas --json     # the Kubernetes migration Job`;

export const register = (program: Command): void => {
  program
    .command('migrate')
    .description('apply the database migrations (read models, views, analyst role); optionally register every schema version')
    .option('--register-schemas', 'also register every schema version in the registry (BACKWARD_TRANSITIVE)')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', migrateExamples)
    .action((options: MigrateOptions) => migrate(options));
};

const migrate = async (options: MigrateOptions): Promise<void> => {
  const connection = loadConnection();
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-migrate' });
  let readModels: MigrateResult['readModels'];
  try {
    readModels = await ensureLiveReadModels(db);
  } finally {
    await db.destroy();
  }
  const result: MigrateResult = { readModels };
  if (options.registerSchemas) result.subjects = await createCodec(connection, loadSchemaCatalog()).registerSchemas();
  if (options.json) printJson(result);
  else formatMigrate(result).forEach(printLine);
};

export const formatMigrate = (result: MigrateResult): string[] => [
  `read models: generation ${result.readModels.generation} is live in schema ${result.readModels.schema}, migrations applied`,
  ...(result.subjects
    ? [`schemas: ${result.subjects.length} versions registered under ${new Set(result.subjects.map((s) => s.subject)).size} subjects, compatibility BACKWARD_TRANSITIVE`]
    : []),
];
