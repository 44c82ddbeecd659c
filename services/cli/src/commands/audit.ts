import type { Command } from 'commander';
import type { Knex } from 'knex';
import { auditRecordFromRow, verifyChain, type AuditRow, type ChainProblem, type ChainVerification, type StoredChainRow } from '@agentbus/audit';
import { DeadLetterHeaders, RecordVerifier } from '@agentbus/bus';
import { deadLetterTopicSuffix, eventCategories, topicName, type AgentEvent, type EventCategory } from '@agentbus/events';
import { identitySchema, listAgents, staticAgentPolicy } from '@agentbus/identity';
import { createDatabase } from '@agentbus/postgres-sink';
import { CliError, ExitCodes, loadConnection, notFoundError, printJson, printLine } from '../cliSupport';
import { parseTime } from './replay';

interface VerifyOptions {
  topic?: string;
  from?: string;
  json?: boolean;
  signatures?: boolean;
}

const examples = `
Recomputes every partition's hash chain, hash = sha256(prev_hash || canonical record), from the
rows in the audit trail and reports the first row that was modified, deleted or reordered in
each partition. Exits 0 when every chain holds, 1 when one does not.

With --signatures it also checks, record by record, the agentbus-signature over the stored bytes
and headers (a dead letter against its source topic), that the source is the signer, and that the
agent policy in force now allows the signer the type; each record that fails is reported with
its code (EVENT_UNSIGNED, SIGNATURE_INVALID, SOURCE_MISMATCH, NOT_AUTHORIZED), and the run exits 1.

Examples:
  $ agentbus audit verify
  $ agentbus audit verify --topic decision --from 2026-11-24T00:00:00Z
  $ agentbus audit verify --json
  $ agentbus audit verify --signatures --topic task --json`;

export const register = (program: Command): void => {
  const audit = program.command('audit').description('the tamper-evident audit trail the audit sink stores');
  audit
    .command('verify')
    .description('recompute the hash chains and report the first modified, deleted or reordered row')
    .option('--topic <topic>', 'one topic, by name or by category (task, decision, dlq, ...)')
    .option('--from <time>', 'an ISO time: start each chain at its first record from then on, trusting the link stored there')
    .option('--json', 'print the result as JSON')
    .option('--signatures', 'also check every stored signature, source and the agent policy, record by record')
    .addHelpText('after', examples)
    .action((options: VerifyOptions) => verify(options));
};

const pageSize = 5000;

/** A partition's rows in chain order, a page at a time. */
async function* chainRows(db: Knex, topic: string, partition: number, fromPosition: bigint): AsyncGenerator<StoredChainRow> {
  let next = fromPosition;
  for (;;) {
    const rows: AuditRow[] = await db.withSchema('audit').from('records').where({ topic, partition }).andWhere('position', '>=', next.toString()).orderBy('position').limit(pageSize);
    for (const row of rows) yield { record: auditRecordFromRow(row), position: BigInt(row.position), prevHash: row.prev_hash, hash: row.hash };
    if (rows.length < pageSize) return;
    next = BigInt(rows.at(-1)!.position) + 1n;
  }
}

const resolveTopic = (prefix: string, topic: string): string =>
  (eventCategories as readonly string[]).includes(topic) || topic === 'dlq' ? topicName(prefix, topic as EventCategory) : topic;

export const verifyAuditTrail = async (db: Knex, options: { prefix: string; topic?: string; from?: Date }): Promise<ChainVerification[]> => {
  const exists = (await db.raw(`select to_regclass('audit.records') as t`)).rows[0].t;
  if (!exists) throw notFoundError('no audit trail in this database: start the audit sink (services/audit-sink) first');
  const heads: { topic: string; partition: number; rows: string; last_hash: Buffer }[] = (await db.raw('select topic, partition, rows, last_hash from audit.chain_heads')).rows;
  const stored: { topic: string; partition: number }[] = (await db.raw('select topic, partition from audit.records group by topic, partition')).rows;
  const topic = options.topic === undefined ? undefined : resolveTopic(options.prefix, options.topic);
  const partitions = new Map<string, { topic: string; partition: number }>();
  for (const p of [...heads, ...stored]) if (!topic || p.topic === topic) partitions.set(`${p.topic}/${p.partition}`, { topic: p.topic, partition: p.partition });
  if (topic && partitions.size === 0) throw notFoundError(`no records of topic ${topic} in the audit trail`);
  const results: ChainVerification[] = [];
  for (const { topic: t, partition } of [...partitions.values()].sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)) {
    let fromPosition: bigint | undefined;
    if (options.from) {
      const first = (await db.raw('select min(position) as p from audit.records where topic = ? and partition = ? and kafka_timestamp >= ?', [t, partition, options.from])).rows[0].p;
      if (first === null) continue;
      fromPosition = BigInt(first);
    }
    const head = heads.find((h) => h.topic === t && h.partition === partition);
    results.push(
      await verifyChain(chainRows(db, t, partition, fromPosition ?? 0n), {
        topic: t,
        partition,
        ...(fromPosition === undefined ? {} : { fromPosition }),
        ...(head ? { head: { rows: BigInt(head.rows), lastHash: head.last_hash } } : {}),
        findByHash: async (hash) => {
          const row = (await db.raw('select position, kafka_offset from audit.records where topic = ? and partition = ? and hash = ? limit 1', [t, partition, hash])).rows[0];
          return row && { position: BigInt(row.position), offset: String(row.kafka_offset) };
        },
      }),
    );
  }
  return results;
};

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
  headers: Record<string, string | string[]>;
  event_id: string | null;
  type: string | null;
  source: string | null;
}

const singleHeaders = (headers: Record<string, string | string[]>): Record<string, string> =>
  Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : v]));

/** Every stored record's signature, source and grant, against the policy as it stands now. */
export const verifyAuditSignatures = async (db: Knex, options: { prefix: string; topic?: string; from?: Date }): Promise<SignatureReport> => {
  const hasPolicy = (await db.raw('select to_regclass(?) as t', [`${identitySchema}.agents`])).rows[0].t;
  const verifier = new RecordVerifier({ mode: 'require', policy: staticAgentPolicy(hasPolicy ? await listAgents(db) : []) });
  const dlq = topicName(options.prefix, deadLetterTopicSuffix);
  const topic = options.topic === undefined ? undefined : resolveTopic(options.prefix, options.topic);
  const report: SignatureReport = { checked: 0, verified: 0, problems: [] };
  let after: { topic: string; partition: number; position: string } | undefined;
  for (;;) {
    let query = db.withSchema('audit').from<SignedRow>('records').select('topic', 'partition', 'kafka_offset', 'position', 'raw', 'headers', 'event_id', 'type', 'source');
    if (topic) query = query.where({ topic });
    if (options.from) query = query.andWhere('kafka_timestamp', '>=', options.from);
    if (after) query = query.andWhereRaw('(topic, partition, position) > (?, ?, ?)', [after.topic, after.partition, after.position]);
    const rows = (await query.orderBy([{ column: 'topic' }, { column: 'partition' }, { column: 'position' }]).limit(pageSize)) as SignedRow[];
    for (const row of rows) {
      const headers = singleHeaders(row.headers);
      // A dead letter keeps the original bytes and headers; it was signed for the topic it came from.
      const signedTopic = row.topic === dlq ? (headers[DeadLetterHeaders.sourceTopic] ?? row.topic) : row.topic;
      const event = row.event_id && row.type && row.source !== null ? ({ id: row.event_id, type: row.type, source: row.source } as AgentEvent) : undefined;
      const refusal = await verifier.check(signedTopic, { value: row.raw, headers }, event);
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

export const describeProblem = (p: ChainProblem): string =>
  `${p.kind.toUpperCase()}: ${p.topic} partition ${p.partition}, position ${p.position}${p.offset === null ? '' : `, offset ${p.offset}`}${p.eventId ? `, event ${p.eventId}` : ''}: ${p.detail}`;

const verify = async (options: VerifyOptions): Promise<void> => {
  const from = options.from === undefined ? undefined : parseTime('--from', options.from);
  const connection = loadConnection();
  const db = createDatabase({ url: connection.databaseUrl, applicationName: 'agentbus-audit-verify' });
  try {
    const scope = { prefix: connection.topicPrefix, ...(options.topic ? { topic: options.topic } : {}), ...(from ? { from } : {}) };
    const results = await verifyAuditTrail(db, scope);
    const verified = results.reduce((n, r) => n + r.verified, 0);
    const problems = results.flatMap((r) => (r.problem ? [r.problem] : []));
    const signatures = options.signatures ? await verifyAuditSignatures(db, scope) : undefined;
    if (options.json) printJson({ ok: problems.length === 0 && (signatures?.problems.length ?? 0) === 0, verified, partitions: results.length, problems, ...(signatures ? { signatures } : {}) });
    else {
      if (problems.length === 0) printLine(`verified ${verified} records in ${results.length} partition${results.length === 1 ? '' : 's'}`);
      else for (const p of problems) printLine(describeProblem(p));
      if (signatures) {
        for (const p of signatures.problems) printLine(describeSignatureProblem(p));
        printLine(`signatures: ${signatures.verified} of ${signatures.checked} records signed by their source and allowed by the agent policy`);
      }
    }
    if (problems.length > 0) throw new CliError(`the audit trail was tampered with: ${problems.length} broken chain${problems.length === 1 ? '' : 's'}`, ExitCodes.failure);
    if (signatures && signatures.problems.length > 0) throw new CliError(`${signatures.problems.length} record${signatures.problems.length === 1 ? '' : 's'} not signed by an allowed source`, ExitCodes.failure);
  } finally {
    await db.destroy();
  }
};
