/** One stored event of a workflow, as `trace` reads it from the audit trail. */
export interface TraceEvent {
  eventId: string;
  type: string;
  source: string;
  /** Event time, epoch ms. */
  occurredAt: number;
  causationId: string | null;
  topic: string;
  partition: number;
  offset: string;
  /** Whether the event is signed by its source and allowed by the agent policy; the refusal code when not. */
  verification?: { verified: true } | { verified: false; code: string };
}

export interface CausationNode {
  eventId: string;
  type: string;
  /** The agent that published it. */
  source: string;
  at: string;
  /** Since the first event of the workflow. */
  sinceStartMs: number;
  /** Since the event that caused it; null for a root. */
  sinceCauseMs: number | null;
  topic: string;
  partition: number;
  offset: string;
  /** Set on a root whose cause is not part of this workflow's trail. */
  missingCause?: string;
  /** How many more times the same event id is stored (a producer retry re-published it). */
  duplicates: number;
  verification?: TraceEvent['verification'];
  children: CausationNode[];
}

export interface CausationTree {
  correlationId: string;
  events: number;
  agents: string[];
  startedAt: string | null;
  durationMs: number;
  roots: CausationNode[];
}

const byTime = (a: TraceEvent, b: TraceEvent): number =>
  a.occurredAt - b.occurredAt || a.topic.localeCompare(b.topic) || a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset));

/**
 * The causation tree of one workflow: every event under the event that caused it, siblings in
 * time order. An event whose cause is not in the trail (or that is part of a causation cycle,
 * which only forged events can form) becomes a root, so nothing stored is left out.
 */
export const buildCausationTree = (correlationId: string, events: readonly TraceEvent[]): CausationTree => {
  const ordered = [...events].sort(byTime);
  const first = new Map<string, TraceEvent>();
  const duplicates = new Map<string, number>();
  for (const e of ordered) {
    if (first.has(e.eventId)) duplicates.set(e.eventId, (duplicates.get(e.eventId) ?? 0) + 1);
    else first.set(e.eventId, e);
  }
  const unique = [...first.values()];
  const start = unique[0]?.occurredAt ?? 0;
  const children = new Map<string, TraceEvent[]>();
  const rootEvents: TraceEvent[] = [];
  for (const e of unique) {
    if (e.causationId !== null && e.causationId !== e.eventId && first.has(e.causationId)) {
      const list = children.get(e.causationId) ?? [];
      list.push(e);
      children.set(e.causationId, list);
    } else rootEvents.push(e);
  }
  const placed = new Set<string>();
  const node = (e: TraceEvent, cause: TraceEvent | undefined): CausationNode => {
    placed.add(e.eventId);
    const n: CausationNode = {
      eventId: e.eventId,
      type: e.type,
      source: e.source,
      at: new Date(e.occurredAt).toISOString(),
      sinceStartMs: e.occurredAt - start,
      sinceCauseMs: cause ? e.occurredAt - cause.occurredAt : null,
      topic: e.topic,
      partition: e.partition,
      offset: e.offset,
      duplicates: duplicates.get(e.eventId) ?? 0,
      ...(e.verification ? { verification: e.verification } : {}),
      children: [],
    };
    if (!cause && e.causationId !== null && e.causationId !== e.eventId) n.missingCause = e.causationId;
    n.children = (children.get(e.eventId) ?? []).filter((c) => !placed.has(c.eventId)).map((c) => node(c, e));
    return n;
  };
  const roots = rootEvents.map((e) => node(e, undefined));
  // Whatever is still unplaced sits on a causation cycle: start it as a root of its own.
  for (const e of unique) if (!placed.has(e.eventId)) roots.push(node(e, undefined));
  roots.sort((a, b) => a.sinceStartMs - b.sinceStartMs);
  const last = unique.at(-1)?.occurredAt ?? start;
  return {
    correlationId,
    events: unique.length,
    agents: [...new Set(unique.map((e) => e.source))].sort(),
    startedAt: unique.length > 0 ? new Date(start).toISOString() : null,
    durationMs: last - start,
    roots,
  };
};

const ms = (n: number): string => (Math.abs(n) >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${n} ms`);

/** The tree as indented text: one event a line with its agent, time since the start and since its cause. */
export const renderCausationTree = (tree: CausationTree): string[] => {
  const lines = [`workflow ${tree.correlationId}: ${tree.events} event${tree.events === 1 ? '' : 's'} by ${tree.agents.length} agent${tree.agents.length === 1 ? '' : 's'} (${tree.agents.join(', ')}) over ${ms(tree.durationMs)}, from ${tree.startedAt ?? '-'}`];
  const walk = (n: CausationNode, indent: string, last: boolean, root: boolean): void => {
    const branch = root ? '' : last ? '└─ ' : '├─ ';
    const timing = n.sinceCauseMs === null ? `+${ms(n.sinceStartMs)}` : `+${ms(n.sinceStartMs)} (${ms(n.sinceCauseMs)} after its cause)`;
    const mark = n.verification === undefined ? '' : n.verification.verified ? '  ✓ verified' : `  ✗ NOT VERIFIED (${n.verification.code})`;
    const notes = [n.missingCause ? `caused by ${n.missingCause}, not in this trail` : '', n.duplicates > 0 ? `stored ${n.duplicates + 1} times` : ''].filter(Boolean);
    lines.push(`${indent}${branch}${n.type}  by ${n.source}${mark}  ${timing}  ${n.eventId}${notes.length ? `  [${notes.join('; ')}]` : ''}`);
    const childIndent = root ? indent : `${indent}${last ? '   ' : '│  '}`;
    n.children.forEach((c, i) => walk(c, childIndent, i === n.children.length - 1, false));
  };
  tree.roots.forEach((r) => walk(r, '', true, true));
  return lines;
};
