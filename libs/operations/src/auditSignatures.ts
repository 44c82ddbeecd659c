import type { Knex } from 'knex';
import { DeadLetterHeaders, RecordVerifier } from '@agentbus/bus';
import { deadLetterTopicSuffix, topicName, type AgentEvent } from '@agentbus/events';
import { identitySchema, listAgents, staticAgentPolicy } from '@agentbus/identity';
import { resolveTopic } from './auditVerification';
import { learnStoredCarriers, storedHeaders, type StoredSigned } from './storedCarriers';

const pageSize = 5000;

export interface SignatureProblem {
  topic: string;
  partition: number;
  offset: string;
  eventId: string | null;
  type: string | null;
  source: string | null;
  code: string;
  reason: string;
}

export interface SignatureReport {
  checked: number;
  verified: number;
  problems: SignatureProblem[];
}

interface SignedRow {
  topic: string;
  partition: number;
  kafka_offset: string;
  position: string;
  raw: Buffer | null;
  headers: Record<string, unknown>;
  event_id: string | null;
  type: string | null;
  source: string | null;
  recorded_at: Date;
}

// A dead letter keeps the original bytes and headers; it was signed where it came from.
const signedAs = (row: SignedRow, dlq: string): StoredSigned => {
  const headers = storedHeaders(row.headers);
  const sourceTopic = headers[DeadLetterHeaders.sourceTopic];
  if (row.topic !== dlq || sourceTopic === undefined) return { topic: row.topic, partition: row.partition, offset: String(row.kafka_offset), headers };
  return { topic: String(sourceTopic), partition: Number(String(headers[DeadLetterHeaders.sourcePartition] ?? -1)), offset: String(headers[DeadLetterHeaders.sourceOffset] ?? -1), headers };
};

/**
 * Every stored record's signature, source and grant, against the policy as it stands now, except
 * that a revocation counts from its time: a record the trail recorded (recorded_at, set by Postgres,
 * not by the producer) before its key was revoked was allowed then, so a key rotation does not
 * turn the trail red. The types granted are today's.
 */
export const verifyAuditSignatures = async (db: Knex, options: { prefix: string; topic?: string; from?: Date }): Promise<SignatureReport> => {
  const hasPolicy = (await db.raw('select to_regclass(?) as t', [`${identitySchema}.agents`])).rows[0].t;
  const verifier = new RecordVerifier({ mode: 'require', policy: staticAgentPolicy(hasPolicy ? await listAgents(db) : []) });
  const dlq = topicName(options.prefix, deadLetterTopicSuffix);
  const topic = options.topic === undefined ? undefined : resolveTopic(options.prefix, options.topic);
  const report: SignatureReport = { checked: 0, verified: 0, problems: [] };
  let after: { topic: string; partition: number; position: string } | undefined;
  for (;;) {
    let query = db.withSchema('audit').from<SignedRow>('records').select('topic', 'partition', 'kafka_offset', 'position', 'raw', 'headers', 'event_id', 'type', 'source', 'recorded_at');
    if (topic) query = query.where({ topic });
    if (options.from) query = query.andWhere('kafka_timestamp', '>=', options.from);
    if (after) query = query.andWhereRaw('(topic, partition, position) > (?, ?, ?)', [after.topic, after.partition, after.position]);
    const rows = (await query.orderBy([{ column: 'topic' }, { column: 'partition' }, { column: 'position' }]).limit(pageSize)) as SignedRow[];
    const signed = rows.map((row) => signedAs(row, dlq));
    await learnStoredCarriers(db, 'audit', verifier, signed);
    for (const [i, row] of rows.entries()) {
      const { topic: signedTopic, partition, offset, headers } = signed[i]!;
      const event = row.event_id && row.type && row.source !== null ? ({ id: row.event_id, type: row.type, source: row.source } as AgentEvent) : undefined;
      const refusal = await verifier.check(signedTopic, { value: row.raw, headers, partition, offset }, event, row.recorded_at);
      report.checked++;
      if (!refusal) report.verified++;
      else report.problems.push({ topic: row.topic, partition: row.partition, offset: String(row.kafka_offset), eventId: row.event_id, type: row.type, source: row.source, code: refusal.code, reason: refusal.message });
    }
    if (rows.length < pageSize) return report;
    const last = rows.at(-1)!;
    after = { topic: last.topic, partition: last.partition, position: String(last.position) };
  }
};

export const describeSignatureProblem = (p: SignatureProblem): string =>
  `${p.code}: ${p.topic} partition ${p.partition}, offset ${p.offset}${p.eventId ? `, event ${p.eventId}` : ''}${p.type ? ` (${p.type})` : ''}: ${p.reason}`;

