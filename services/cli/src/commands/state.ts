import type { Command } from 'commander';
import type { AgentEvent } from '@agentbus/events';
import { createDatabase } from '@agentbus/postgres-sink';
import { allProjections, replay, stableKey, type Row } from '@agentbus/projections';
import { activeSchema } from '@agentbus/read-models';
import { loadConnection, notFoundError, printJson, printLine, usageError } from '../cliSupport';
import { parseTime } from './replay';

interface StateOptions {
  at?: string;
  json?: boolean;
}

const kinds = {
  task: { table: 'tasks', key: 'task_id' },
  agent: { table: 'agents', key: 'agent_id' },
  decision: { table: 'decisions', key: 'action_id' },
  trust: { table: 'trust_scores', key: 'agent_id' },
} as const;
type Kind = keyof typeof kinds;

const examples = `
Rebuilds one entity's state from the event store, as the projections would have held it at a moment
(the seed's reconstruct_agent_state; time travel).

Examples:
  $ agentbus state task t-123
  $ agentbus state agent worker-7 --at 2026-11-24T10:00:00Z --json`;

export const register = (program: Command): void => {
  program
    .command('state <kind> <id>')
    .description(`reconstruct one ${Object.keys(kinds).join('|')} from the event store, now or at a moment`)
    .option('--at <time>', 'an ISO time: the state as it was then')
    .option('--json', 'print the state as JSON')
    .addHelpText('after', examples)
    .action((kind: string, id: string, options: StateOptions) => state(kind, id, options));
};

/** Events of one entity up to `at`, in the order they were applied (event time, then partition offset). */
export const reconstruct = (kind: Kind, id: string, events: AgentEvent[]): Row | undefined => {
  const { table, key } = kinds[kind];
  return replay(allProjections, events)[table]?.[stableKey({ [key]: id })];
};

const state = async (kind: string, id: string, options: StateOptions): Promise<void> => {
  if (!(kind in kinds)) throw usageError(`<kind>: expected one of ${Object.keys(kinds).join(', ')}, got "${kind}"`);
  const at = options.at === undefined ? new Date() : parseTime('--at', options.at);
  const connection = loadConnection();
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-state' });
  try {
    const { schema } = await activeSchema(db);
    const rows: { event_id: string; type: string; routing_key: string; source: string; occurred_at: Date; correlation_id: string | null; causation_id: string | null; schema_version: string; payload: unknown }[] = await db
      .withSchema(schema)
      .from('events')
      .where('entity_key', id)
      .andWhere('occurred_at', '<=', at)
      .orderBy([{ column: 'occurred_at' }, { column: 'partition' }, { column: 'kafka_offset' }]);
    const events: AgentEvent[] = rows.map((r) => ({
      id: r.event_id,
      type: r.type,
      routingKey: r.routing_key,
      source: r.source,
      timestamp: r.occurred_at.getTime(),
      payload: r.payload,
      metadata: { version: r.schema_version, ...(r.correlation_id ? { correlationId: r.correlation_id } : {}), ...(r.causation_id ? { causationId: r.causation_id } : {}) },
    }));
    const found = reconstruct(kind as Kind, id, events);
    if (!found) throw notFoundError(`no ${kind} "${id}" in the event store${options.at ? ` at ${at.toISOString()}` : ''}`);
    if (options.json) return printJson({ kind, id, at: at.toISOString(), events: events.length, state: found });
    printLine(`${kind} ${id} at ${at.toISOString()} (from ${events.length} events)`);
    for (const [column, value] of Object.entries(found)) {
      const shown = value !== null && typeof value === 'number' && /_at$/.test(column) ? new Date(value).toISOString() : JSON.stringify(value);
      printLine(`  ${column.padEnd(24)} ${shown}`);
    }
  } finally {
    await db.destroy();
  }
};
