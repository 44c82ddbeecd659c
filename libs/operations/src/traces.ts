import type { Knex } from 'knex';
import type { TraceEvent } from '@agentbus/audit';
import type { RecordVerifier } from '@agentbus/bus';
import type { AgentEvent } from '@agentbus/events';
import { learnStoredCarriers, storedHeaders } from './storedCarriers';

/**
 * The events of one workflow from the audit trail, for `buildCausationTree`. `schema` is `audit`
 * for the CLI and the analysts' `audit_read` for the console: both have these columns.
 * Copies in the dead-letter topic are left out. Undefined when there is no audit trail at all.
 * With a `verifier`, each event's stored bytes and headers are checked again (signature, source,
 * policy) and the event says whether it verified.
 */
export const loadTraceEvents = async (
  db: Knex | Knex.Transaction,
  options: { correlationId: string; deadLetterTopic: string; schema?: 'audit' | 'audit_read'; verifier?: RecordVerifier },
): Promise<TraceEvent[] | undefined> => {
  const schema = options.schema ?? 'audit';
  const exists = (await db.raw(`select to_regclass(?) as t`, [`${schema}.records`])).rows[0].t;
  if (!exists) return undefined;
  const { verifier } = options;
  const rows: { event_id: string; type: string; source: string; occurred_at: Date; causation_id: string | null; topic: string; partition: number; kafka_offset: string; raw?: Buffer | null; headers?: Record<string, unknown> }[] = (
    await db.raw(
      `select event_id, type, source, occurred_at, causation_id, topic, partition, kafka_offset${verifier ? ', raw, headers' : ''} from ??.records
       where correlation_id = ? and event_id is not null and topic <> ? order by occurred_at, topic, partition, kafka_offset`,
      [schema, options.correlationId, options.deadLetterTopic],
    )
  ).rows;
  // Only a verifier selected the headers (and the bytes).
  const headersOf = verifier ? rows.map((r) => storedHeaders(r.headers)) : [];
  if (verifier) await learnStoredCarriers(db, schema, verifier, rows.map((r, i) => ({ topic: r.topic, partition: r.partition, offset: String(r.kafka_offset), headers: headersOf[i]! })));
  const events: TraceEvent[] = [];
  for (const [i, r] of rows.entries()) {
    const event: TraceEvent = { eventId: r.event_id, type: r.type, source: r.source, occurredAt: r.occurred_at.getTime(), causationId: r.causation_id, topic: r.topic, partition: r.partition, offset: String(r.kafka_offset) };
    if (verifier) {
      const refusal = await verifier.check(r.topic, { value: r.raw ?? null, headers: headersOf[i]!, partition: r.partition, offset: String(r.kafka_offset) }, { id: r.event_id, type: r.type, source: r.source } as AgentEvent);
      event.verification = refusal ? { verified: false, code: refusal.code } : { verified: true };
    }
    events.push(event);
  }
  return events;
};
