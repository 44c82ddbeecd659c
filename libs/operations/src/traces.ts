import type { Knex } from 'knex';
import type { TraceEvent } from '@agentbus/audit';

/**
 * The events of one workflow from the audit trail, for `buildCausationTree`. `schema` is `audit`
 * for the CLI and the analysts' `audit_read` for the console: both have these columns.
 * Copies in the dead-letter topic are left out. Undefined when there is no audit trail at all.
 */
export const loadTraceEvents = async (db: Knex | Knex.Transaction, options: { correlationId: string; deadLetterTopic: string; schema?: 'audit' | 'audit_read' }): Promise<TraceEvent[] | undefined> => {
  const schema = options.schema ?? 'audit';
  const exists = (await db.raw(`select to_regclass(?) as t`, [`${schema}.records`])).rows[0].t;
  if (!exists) return undefined;
  const rows: { event_id: string; type: string; source: string; occurred_at: Date; causation_id: string | null; topic: string; partition: number; kafka_offset: string }[] = (
    await db.raw(
      `select event_id, type, source, occurred_at, causation_id, topic, partition, kafka_offset from ??.records
       where correlation_id = ? and event_id is not null and topic <> ? order by occurred_at, topic, partition, kafka_offset`,
      [schema, options.correlationId, options.deadLetterTopic],
    )
  ).rows;
  return rows.map((r) => ({ eventId: r.event_id, type: r.type, source: r.source, occurredAt: r.occurred_at.getTime(), causationId: r.causation_id, topic: r.topic, partition: r.partition, offset: String(r.kafka_offset) }));
};
