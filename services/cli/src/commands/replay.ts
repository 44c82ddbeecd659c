import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { loadSchemaCatalog } from '@agentbus/codec';
import { deadLetterTopicSuffix, topicName } from '@agentbus/events';
import { agentbusTopics } from '@agentbus/kafka';
import { createDatabase } from '@agentbus/postgres-sink';
import { allProjections } from '@agentbus/projections';
import { rebuildProjection, rebuildReadModels, type RebuildOptions } from '@agentbus/read-models';
import { cliLogger, connectKafka, createCodec, loadConnection, printJson, printLine, usageError } from '../cliSupport';
import { replayIdentity } from './identityEnv';

interface ReplayOptions {
  projection: string;
  from: string;
  to?: string;
  consumer: string;
  json?: boolean;
}

const examples = `
Rebuilds the read models from Kafka, blue/green: everything is built into a new schema while the
live projector keeps serving, then the read views switch to it in one transaction and the
projector continues from the rebuilt offsets. If the rebuild fails or is interrupted, the live
tables are untouched.

With --projection NAME, only that projection's tables are rebuilt, into a staging schema that
chases the live projector's offsets; with the live writers held for the last few records, the new
tables replace the old ones in one transaction.

With --to, the rebuild stops at that time and does not go live: the schema it prints holds the
read models as they were then.

Set AGENTBUS_VERIFY_SIGNATURES as the live projector has it (require in the prod overlay): the
rebuild then refuses, dead-letters and reports the same records (docs/identity.md).

Examples:
  $ agentbus replay
  $ agentbus replay --projection tasks
  $ agentbus replay --from 2026-11-01T00:00:00Z
  $ agentbus replay --to 2026-11-24T12:00:00Z --json`;

export const parseTime = (argument: string, value: string): Date => {
  const time = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(time.getTime())) throw usageError(`${argument}: expected an ISO 8601 time such as 2026-11-24T10:00:00Z, got "${value}"`);
  return time;
};

export const register = (program: Command): void => {
  program
    .command('replay')
    .description('rebuild the read models from Kafka, blue/green, with no downtime')
    .option('--projection <name>', `the projection to rebuild: all, or one of ${allProjections.map((p) => p.name).join(', ')}`, 'all')
    .option('--from <time>', 'earliest, or an ISO time: events before it are left out', 'earliest')
    .option('--to <time>', 'an ISO time: build the read models as of then, without going live')
    .option('--consumer <name>', "the live projector's consumer name (PROJECTOR_CONSUMER)", process.env.PROJECTOR_CONSUMER ?? 'projector')
    .option('--json', 'print the result as JSON')
    .addHelpText('after', examples)
    .action((options: ReplayOptions) => replay(options));
};

const replay = async (options: ReplayOptions): Promise<void> => {
  const projection = options.projection === 'all' ? undefined : allProjections.find((p) => p.name === options.projection);
  if (options.projection !== 'all' && !projection) throw usageError(`--projection: expected all or one of ${allProjections.map((p) => p.name).join(', ')}, got "${options.projection}"`);
  const from = options.from === 'earliest' ? undefined : parseTime('--from', options.from);
  const to = options.to === undefined ? undefined : parseTime('--to', options.to);
  if (from && to && to <= from) throw usageError('--to must be later than --from');
  if (projection && from && !to) throw usageError('--from with --projection NAME needs --to: the rebuilt tables would lack what the live projector already applied');
  const connection = loadConnection();
  const logger = cliLogger();
  const kafka = await connectKafka(connection, logger);
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-replay' });
  const dlq = topicName(connection.topicPrefix, deadLetterTopicSuffix);
  const topics = agentbusTopics({ prefix: connection.topicPrefix, ...connection.topics })
    .map((t) => t.topic)
    .filter((t) => t !== dlq);
  const bar = options.json || !process.stderr.isTTY ? undefined : new SingleBar({ format: '{phase} [{bar}] {percentage}% | {value}/{total} events | {rate}/s | ETA {eta_formatted}', stream: process.stderr }, Presets.shades_classic);
  const started = Date.now();
  let barStarted = false;
  try {
    const common: Omit<RebuildOptions, 'projections'> = {
      db,
      kafka,
      codec: createCodec(connection, loadSchemaCatalog()),
      topics,
      consumer: options.consumer,
      deadLetterTopic: dlq,
      logger,
      databaseUrl: connection.databaseUrl,
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(await replayIdentity(db)),
      onProgress: ({ done, total, phase }) => {
        if (!bar) return;
        const rate = Math.round(done / Math.max(0.001, (Date.now() - started) / 1000));
        if (!barStarted) {
          bar.start(total, done, { phase, rate });
          barStarted = true;
        }
        bar.setTotal(total);
        bar.update(done, { phase, rate });
      },
    };
    if (projection) {
      const result = await rebuildProjection({ ...common, projection });
      bar?.stop();
      const seconds = (Date.now() - started) / 1000;
      if (options.json) return printJson({ ...result, seconds });
      return printLine(
        result.swapped
          ? `rebuilt ${result.projection} (${result.tables.join(', ')}) from ${result.events} events in ${seconds.toFixed(1)}s; the new tables are live in ${result.schema}`
          : `built ${result.projection} (${result.tables.join(', ')}) from ${result.events} events into ${result.schema} in ${seconds.toFixed(1)}s, as of ${to!.toISOString()}; not live`,
      );
    }
    const result = await rebuildReadModels({ ...common, projections: allProjections });
    bar?.stop();
    const seconds = (Date.now() - started) / 1000;
    if (options.json) return printJson({ ...result, seconds });
    printLine(
      result.swapped
        ? `rebuilt ${result.events} events into ${result.schema} in ${seconds.toFixed(1)}s; it is live now (retired ${result.retired})`
        : `built ${result.events} events into ${result.schema} in ${seconds.toFixed(1)}s, as of ${to!.toISOString()}; not live: query it as ${result.schema}.tasks etc.`,
    );
  } finally {
    bar?.stop();
    await db.destroy();
  }
};
