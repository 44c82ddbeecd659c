// What a chaos run must end with, as pure comparisons of facts gathered after catch-up: each check
// returns its numbers and every difference it found, and fails on any difference.
import { stableKey, type InMemoryTables } from '@agentbus/projections';

export interface CheckResult {
  name: string;
  ok: boolean;
  numbers: [label: string, value: number][];
  /** The first few differences, each naming what differs; `differenceCount` has them all. */
  differences: string[];
  differenceCount: number;
}

const shownDifferences = 10;

const result = (name: string, numbers: [string, number][], differences: string[]): CheckResult => ({
  name,
  ok: differences.length === 0,
  numbers,
  differences: differences.slice(0, shownDifferences),
  differenceCount: differences.length,
});

export interface KafkaEventRecord {
  topic: string;
  partition: number;
  offset: string;
  eventId: string;
}

/** Every event on the topics the projector reads is in the event store once; nothing else is. */
export const checkEventStore = (published: readonly KafkaEventRecord[], storedIds: readonly string[]): CheckResult => {
  const distinct = new Map<string, KafkaEventRecord>();
  for (const r of published) if (!distinct.has(r.eventId)) distinct.set(r.eventId, r);
  const stored = new Map<string, number>();
  for (const id of storedIds) stored.set(id, (stored.get(id) ?? 0) + 1);
  const missing = [...distinct.values()].filter((r) => !stored.has(r.eventId));
  const extra = [...stored.keys()].filter((id) => !distinct.has(id));
  const twice = [...stored].filter(([, n]) => n > 1);
  return result(
    'event store: every published event exactly once',
    [
      ['records on Kafka', published.length],
      ['distinct event ids', distinct.size],
      ['rows in the event store', storedIds.length],
      ['missing', missing.length],
      ['not on Kafka', extra.length],
      ['stored more than once', twice.length],
    ],
    [
      ...missing.map((r) => `missing ${r.eventId} (${r.topic}/${r.partition}@${r.offset})`),
      ...extra.map((id) => `stored but never published: ${id}`),
      ...twice.map(([id, n]) => `stored ${n} times: ${id}`),
    ],
  );
};

/** Each read-model table equals a clean replay of the same topics, row by row. */
export const checkReadModels = (live: InMemoryTables, replayed: InMemoryTables): CheckResult => {
  const differences: string[] = [];
  let rows = 0;
  let missing = 0;
  let extra = 0;
  let different = 0;
  for (const table of [...new Set([...Object.keys(live), ...Object.keys(replayed)])].sort()) {
    const a = live[table] ?? {};
    const b = replayed[table] ?? {};
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      rows++;
      if (!(key in a)) {
        missing++;
        differences.push(`${table} ${key}: in the replay, not in the live read model`);
      } else if (!(key in b)) {
        extra++;
        differences.push(`${table} ${key}: in the live read model, not in the replay`);
      } else if (stableKey(a[key]!) !== stableKey(b[key]!)) {
        different++;
        const columns = Object.keys({ ...a[key], ...b[key] }).filter((c) => stableKey({ v: a[key]![c] ?? null }) !== stableKey({ v: b[key]![c] ?? null }));
        differences.push(`${table} ${key}: ${columns.map((c) => `${c} live=${JSON.stringify(a[key]![c])} replay=${JSON.stringify(b[key]![c])}`).join(', ')}`);
      }
    }
  }
  return result(
    'read models equal a clean replay',
    [
      ['tables', new Set([...Object.keys(live), ...Object.keys(replayed)]).size],
      ['rows compared', rows],
      ['missing', missing],
      ['extra', extra],
      ['different', different],
    ],
    differences,
  );
};

export interface RequestedSaga {
  sagaId: string;
  orderId: string;
  /** Its payment is above the agents' limit: it can never complete. */
  declined: boolean;
}

export interface DispatchedCommand {
  sagaId: string;
  stepId: string;
  phase: string;
  attempt: number;
  commandId: string;
}

export interface SagaFacts {
  requested: readonly RequestedSaga[];
  /** The orchestrator's status of each saga, and the projector's read.sagas status. */
  status: ReadonlyMap<string, string>;
  readStatus: ReadonlyMap<string, string>;
  dispatched: readonly DispatchedCommand[];
  /** What the order agents executed, one row per command event id. */
  journal: readonly { eventId: string; orderId: string; op: string }[];
}

const terminal = new Set(['completed', 'failed', 'failed_compensation']);
const forwardOps = ['create', 'reserve', 'charge', 'complete'];
const compensationOps = new Set(['cancel', 'release', 'refund']);

/** Every saga ends; each command is issued once per attempt and run only as issued; outcomes fit the journal. */
export const checkSagas = (facts: SagaFacts): CheckResult => {
  const differences: string[] = [];
  const count = (status: string) => facts.requested.filter((s) => facts.status.get(s.sagaId) === status).length;
  for (const s of facts.requested) {
    const status = facts.status.get(s.sagaId);
    if (!status || !terminal.has(status)) differences.push(`saga ${s.sagaId} is ${status ?? 'unknown to the orchestrator'}, not terminal`);
    else if (facts.readStatus.get(s.sagaId) !== status) differences.push(`saga ${s.sagaId}: read.sagas says ${facts.readStatus.get(s.sagaId) ?? 'nothing'}, the orchestrator ${status}`);
    if (s.declined && status === 'completed') differences.push(`saga ${s.sagaId} completed although its payment is declined`);
  }
  const commandIds = new Map<string, Set<string>>();
  for (const d of facts.dispatched) {
    const key = `${d.sagaId} ${d.stepId} ${d.phase} attempt ${d.attempt}`;
    commandIds.set(key, (commandIds.get(key) ?? new Set()).add(d.commandId));
  }
  const twice = [...commandIds].filter(([, ids]) => ids.size > 1);
  differences.push(...twice.map(([key, ids]) => `${key} was issued as ${ids.size} different commands`));
  const issued = new Set(facts.dispatched.map((d) => d.commandId));
  const unknown = facts.journal.filter((j) => !issued.has(j.eventId));
  differences.push(...unknown.map((j) => `order agents ran ${j.op} for ${j.orderId} on ${j.eventId}, a command no saga issued`));
  const opsOf = new Map<string, string[]>();
  for (const j of facts.journal) opsOf.set(j.orderId, [...(opsOf.get(j.orderId) ?? []), j.op]);
  let completedWrong = 0;
  for (const s of facts.requested.filter((r) => facts.status.get(r.sagaId) === 'completed')) {
    const ops = opsOf.get(s.orderId) ?? [];
    const lacking = forwardOps.filter((op) => !ops.includes(op));
    const undone = ops.filter((op) => compensationOps.has(op));
    if (lacking.length || undone.length) {
      completedWrong++;
      differences.push(`saga ${s.sagaId} completed, but its order ${lacking.length ? `never ran ${lacking.join(', ')}` : ''}${lacking.length && undone.length ? ' and ' : ''}${undone.length ? `was undone (${undone.join(', ')})` : ''}`);
    }
  }
  const notTerminal = facts.requested.filter((s) => !terminal.has(facts.status.get(s.sagaId) ?? '')).length;
  return result(
    'sagas: all terminal, each command once',
    [
      ['requested', facts.requested.length],
      ['completed', count('completed')],
      ['failed', count('failed')],
      ['of them declined on purpose', facts.requested.filter((s) => s.declined && facts.status.get(s.sagaId) === 'failed').length],
      ['failed_compensation', count('failed_compensation')],
      ['not terminal', notTerminal],
      ['commands issued', issued.size],
      ['commands run by the agents', facts.journal.length],
      ['commands issued twice', twice.length],
      ['runs of unknown commands', unknown.length],
      ['completed with a wrong journal', completedWrong],
    ],
    differences,
  );
};

export interface PartitionRange {
  topic: string;
  partition: number;
  low: bigint;
  high: bigint;
}

export interface StoredPartition {
  topic: string;
  partition: number;
  rows: number;
  distinctOffsets: number;
  minOffset: bigint | null;
  maxOffset: bigint | null;
}

/** What `agentbus audit verify --json` found: partitions checked, rows verified, chain problems. */
export interface ChainVerificationSummary {
  partitions: number;
  verified: number;
  problems: string[];
}

/** Every Kafka record is in the audit trail once, in chains that verify from their genesis. */
export const checkAuditTrail = (ranges: readonly PartitionRange[], stored: readonly StoredPartition[], chains: ChainVerificationSummary): CheckResult => {
  const differences: string[] = [];
  const at = (topic: string, partition: number) => `${topic}/${partition}`;
  const storedBy = new Map(stored.map((s) => [at(s.topic, s.partition), s]));
  let records = 0;
  let rows = 0;
  let missing = 0;
  let twice = 0;
  for (const r of ranges) {
    const expected = Number(r.high - r.low);
    records += expected;
    const s = storedBy.get(at(r.topic, r.partition));
    rows += s?.rows ?? 0;
    if (s && s.distinctOffsets < s.rows) {
      twice += s.rows - s.distinctOffsets;
      differences.push(`${at(r.topic, r.partition)}: ${s.rows - s.distinctOffsets} records stored more than once`);
    }
    const distinct = s?.distinctOffsets ?? 0;
    if (distinct !== expected || (expected > 0 && (s?.minOffset !== r.low || s?.maxOffset !== r.high - 1n))) {
      missing += Math.max(0, expected - distinct);
      differences.push(`${at(r.topic, r.partition)}: Kafka holds offsets ${r.low}..${r.high - 1n} (${expected}), the audit trail ${distinct} distinct offsets ${s?.minOffset ?? '-'}..${s?.maxOffset ?? '-'}`);
    }
  }
  for (const s of stored) if (!ranges.some((r) => at(r.topic, r.partition) === at(s.topic, s.partition))) differences.push(`${at(s.topic, s.partition)}: ${s.rows} rows of a partition the run never wrote`);
  const nonEmpty = stored.filter((s) => s.rows > 0).length;
  if (chains.partitions !== nonEmpty) differences.push(`${chains.partitions} chains verified, ${nonEmpty} partitions hold records`);
  if (chains.verified !== rows) differences.push(`${chains.verified} of ${rows} rows verified in their chains`);
  differences.push(...chains.problems.map((p) => `chain broken: ${p}`));
  return result(
    'audit trail: every record once, every chain verified',
    [
      ['partitions', ranges.length],
      ['records on Kafka', records],
      ['rows in the audit trail', rows],
      ['missing', missing],
      ['stored more than once', twice],
      ['chains verified', chains.partitions - chains.problems.length],
      ['rows verified', chains.verified],
      ['broken chains', chains.problems.length],
    ],
    differences,
  );
};

export interface PresenceFacts {
  /** Agents that heartbeated throughout the run. */
  alive: readonly string[];
  /** Agents that fell silent on purpose and were never heard again: each must be suspected once. */
  silent: readonly string[];
  /** agentId of every agent.suspected_failure on Kafka. */
  suspected: readonly string[];
}

/** No suspicion of an agent that stayed alive; one for each agent that really went silent. */
export const checkPresence = (facts: PresenceFacts): CheckResult => {
  const alive = new Set(facts.alive);
  const falseAlarms = facts.suspected.filter((id) => alive.has(id));
  const times = (id: string) => facts.suspected.filter((s) => s === id).length;
  const silentWrong = facts.silent.filter((id) => times(id) !== 1);
  return result(
    'presence: no false suspicion',
    [
      ['agents alive throughout', alive.size],
      ['false suspicions', falseAlarms.length],
      ['silent agents', facts.silent.length],
      ['silent agents suspected once', facts.silent.length - silentWrong.length],
    ],
    [...falseAlarms.map((id) => `${id} stayed alive but was suspected of failure`), ...silentWrong.map((id) => `${id} went silent and was suspected ${times(id)} times, not once`)],
  );
};
