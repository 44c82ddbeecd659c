import type { Command } from 'commander';
import { createKafkaEventBus } from '@agentbus/bus';
import { newEventId } from '@agentbus/events';
import { loadSagaTimeline } from '@agentbus/operations';
import { createDatabase } from '@agentbus/postgres-sink';
import { cliLogger, formatTable, loadConnection, notFoundError, printJson, printLine, truncate, usageError } from '../cliSupport';

interface StartOptions {
  input: string;
  id?: string;
  json?: boolean;
}

interface ShowOptions {
  json?: boolean;
}

const startExamples = `
Publishes workflow.requested; the saga orchestrator starts the saga and the projector's sagas read
model follows it. Starting the same --id twice starts it once.

Examples:
  $ agentbus saga start order --input '{"orderId":"o-1","items":[{"sku":"sku-1","quantity":2}],"amount":40}'
  $ agentbus saga start order --id order-o-2 --input '{"orderId":"o-2","items":[{"sku":"a","quantity":1}],"amount":9}' --json`;

const showExamples = `
Prints a saga's status and its timeline from the read model (read.sagas, read.saga_timeline).
Exit code 3 when the saga is unknown.

Examples:
  $ agentbus saga show order-o-2
  $ agentbus saga show order-o-2 --json`;

export const register = (program: Command): void => {
  const saga = program.command('saga').description('start a saga and follow its timeline');
  saga
    .command('start <name>')
    .description('start a saga by publishing workflow.requested')
    .requiredOption('--input <json>', "the saga's input as JSON")
    .option('--id <sagaId>', 'the saga id (default: a new ULID); the same id starts the saga once')
    .option('--json', 'print the saga id and event as JSON')
    .addHelpText('after', startExamples)
    .action((name: string, options: StartOptions) => start(name, options));
  saga
    .command('show <sagaId>')
    .description("print a saga's status and timeline")
    .option('--json', 'print the saga and its timeline as JSON')
    .addHelpText('after', showExamples)
    .action((sagaId: string, options: ShowOptions) => show(sagaId, options));
};

export const parseSagaInput = (text: string): string => {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch (error) {
    throw usageError(`--input: expected JSON, got ${JSON.stringify(truncate(text, 60))} (${(error as Error).message})`);
  }
};

const start = async (name: string, options: StartOptions): Promise<void> => {
  const input = parseSagaInput(options.input);
  if (!/^[a-z][a-z0-9_-]*$/.test(name)) throw usageError(`<name>: expected a saga name such as order, got "${name}"`);
  const sagaId = options.id ?? newEventId();
  const connection = loadConnection();
  const bus = createKafkaEventBus({ connection, service: 'agentbus-cli', logger: cliLogger() });
  try {
    const event = await bus.publish({ type: 'workflow.requested', source: 'agentbus-cli', payload: { sagaId, sagaName: name, input, requestedBy: process.env.USER ?? 'agentbus-cli' } });
    if (options.json) return printJson({ sagaId, sagaName: name, eventId: event.id, correlationId: event.metadata.correlationId });
    printLine(`requested saga ${name} ${sagaId} (event ${event.id}); follow it with: agentbus saga show ${sagaId}`);
  } finally {
    await bus.close();
  }
};

const show = async (sagaId: string, options: ShowOptions): Promise<void> => {
  const connection = loadConnection();
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-saga' });
  try {
    const found = await loadSagaTimeline(db, sagaId);
    if (!found) throw notFoundError(`no saga "${sagaId}" in read.sagas (is the projector running?)`);
    const { saga, timeline } = found;
    if (options.json) return printJson({ saga, timeline });
    printLine(`saga ${saga.saga_id} (${saga.saga_name ?? '?'}): ${saga.status ?? 'requested'}${saga.alerted ? '  ALERT: an operator must act' : ''}`);
    if (saga.failed_step) printLine(`  failed at ${saga.failed_step}: ${saga.reason ?? ''}`);
    if (saga.current_step) printLine(`  current step ${saga.current_step}`);
    printLine(`  correlation ${saga.correlation_id ?? '-'}`);
    printLine('');
    const rows = timeline.map((t) => [
      t.occurred_at.toISOString().slice(11, 23),
      t.type.replace(/^saga\./, ''),
      t.step_id ? `${t.step_id}${t.phase === 'compensation' ? ' (undo)' : ''}${t.attempt && t.attempt > 1 ? ` #${t.attempt}` : ''}` : '',
      t.agent_id ?? '',
      truncate(t.detail ?? '', 70),
    ]);
    for (const line of formatTable(['time', 'event', 'step', 'agent', 'detail'], rows)) printLine(line);
  } finally {
    await db.destroy();
  }
};
