import type { Knex } from 'knex';
import { buildCausationTree } from '@agentbus/audit';
import { loadTraceEvents } from '@agentbus/operations';

/** A correlation id, or the id of a saga or a task whose correlation id the read models know. */
export const traceOf = async (trx: Knex.Transaction, id: string, deadLetterTopic: string) => {
  const load = (correlationId: string) => loadTraceEvents(trx, { correlationId, deadLetterTopic, schema: 'audit_read' });
  let correlationId = id;
  let events = await load(id);
  if (events === undefined) return undefined;
  if (events.length === 0) {
    const viaSaga = (await trx.withSchema('read').from('sagas').select('correlation_id').where({ saga_id: id }).first()) as { correlation_id: string | null } | undefined;
    const viaTask = viaSaga?.correlation_id ? undefined : ((await trx.withSchema('read').from('tasks').select('correlation_id').where({ task_id: id }).first()) as { correlation_id: string | null } | undefined);
    const found = viaSaga?.correlation_id ?? viaTask?.correlation_id;
    if (!found) return undefined;
    correlationId = found;
    events = (await load(found)) ?? [];
  }
  if (events.length === 0) return undefined;
  return buildCausationTree(correlationId, events);
};

/** One event of the trail, decoded, with its headers: what a trace node opens to. */
export const findEvent = async (trx: Knex.Transaction, eventId: string, deadLetterTopic: string) =>
  (await trx.raw(
    `select event_id, type, source, occurred_at, correlation_id, causation_id, topic, partition, kafka_offset, schema_version, headers, payload, decode_error
     from audit_read.records where event_id = ? and topic <> ? order by topic, partition, kafka_offset limit 1`,
    [eventId, deadLetterTopic],
  )).rows[0] as Record<string, unknown> | undefined;
