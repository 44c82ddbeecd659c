import type { Command } from 'commander';
import { buildCausationTree, renderCausationTree } from '@agentbus/audit';
import { RecordVerifier } from '@agentbus/bus';
import { deadLetterTopicSuffix, topicName } from '@agentbus/events';
import { identitySchema, listAgents, staticAgentPolicy } from '@agentbus/identity';
import { loadTraceEvents } from '@agentbus/operations';
import { createDatabase } from '@agentbus/postgres-sink';
import { loadConnection, notFoundError, printJson, printLine } from '../cliSupport';

const examples = `
Prints the causation tree of one workflow from the audit trail: every event that shares the
correlation id, under the event that caused it, in time order, with the agent that published it
and the time since the start and since its cause. Copies in the dead-letter topic are left out.
Each event is marked verified (signed by its source, who the agent policy allows its type) or
not, with the reason's code (EVENT_UNSIGNED, SIGNATURE_INVALID, SOURCE_MISMATCH, NOT_AUTHORIZED).

Examples:
  $ agentbus trace 01JDX4Q8W5N3V6Y2Z7A9B0C1D2
  $ agentbus trace 01JDX4Q8W5N3V6Y2Z7A9B0C1D2 --json`;

export const register = (program: Command): void => {
  program
    .command('trace <correlationId>')
    .description('the causation tree of one workflow, from the audit trail')
    .option('--json', 'print the tree as JSON')
    .addHelpText('after', examples)
    .action((correlationId: string, options: { json?: boolean }) => trace(correlationId, options));
};

const trace = async (correlationId: string, options: { json?: boolean }): Promise<void> => {
  const connection = loadConnection();
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-trace' });
  try {
    const hasPolicy = (await db.raw('select to_regclass(?) as t', [`${identitySchema}.agents`])).rows[0].t;
    const verifier = new RecordVerifier({ mode: 'require', policy: staticAgentPolicy(hasPolicy ? await listAgents(db) : []) });
    const events = await loadTraceEvents(db, { correlationId, deadLetterTopic: topicName(connection.topicPrefix, deadLetterTopicSuffix), verifier });
    if (!events) throw notFoundError('no audit trail in this database: start the audit sink (services/audit-sink) first');
    if (events.length === 0) throw notFoundError(`no events with correlation id ${correlationId} in the audit trail`);
    const tree = buildCausationTree(correlationId, events);
    if (options.json) return printJson(tree);
    for (const line of renderCausationTree(tree)) printLine(line);
  } finally {
    await db.destroy();
  }
};
