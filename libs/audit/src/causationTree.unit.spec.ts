import { buildCausationTree, renderCausationTree, type TraceEvent } from './causationTree';

const ev = (eventId: string, type: string, source: string, occurredAt: number, causationId: string | null, offset = occurredAt): TraceEvent => ({ eventId, type, source, occurredAt, causationId, topic: `p.${type.split('.')[0]}`, partition: 0, offset: String(offset) });

describe('buildCausationTree', () => {
  // workflow.requested → saga.started → two steps dispatched → each completed → saga.completed
  const events = [
    ev('S', 'saga.completed', 'orchestrator', 1900, 'C2'),
    ev('W', 'workflow.requested', 'planner', 1000, null),
    ev('B', 'saga.started', 'orchestrator', 1010, 'W'),
    ev('D2', 'task.assigned', 'orchestrator', 1030, 'B'),
    ev('D1', 'task.assigned', 'orchestrator', 1020, 'B'),
    ev('C1', 'task.completed', 'worker-1', 1500, 'D1'),
    ev('C2', 'task.completed', 'worker-2', 1800, 'D2'),
  ];

  it('puts every event under its cause, siblings in time order, with agents and timings', () => {
    const tree = buildCausationTree('W', events);
    expect(tree).toMatchObject({ correlationId: 'W', events: 7, agents: ['orchestrator', 'planner', 'worker-1', 'worker-2'], startedAt: new Date(1000).toISOString(), durationMs: 900 });
    const shape = (n: { eventId: string; children: unknown[] }): unknown => [n.eventId, (n.children as { eventId: string; children: unknown[] }[]).map(shape)];
    expect(tree.roots.map(shape)).toEqual([['W', [['B', [['D1', [['C1', []]]], ['D2', [['C2', [['S', []]]]]]]]]]]);
    const c2 = tree.roots[0]!.children[0]!.children[1]!.children[0]!;
    expect(c2).toMatchObject({ source: 'worker-2', sinceStartMs: 800, sinceCauseMs: 770 });
  });

  it('keeps an event whose cause is not in the trail as a root that names the missing cause', () => {
    const tree = buildCausationTree('W', [ev('W', 'workflow.requested', 'planner', 1000, null), ev('X', 'task.completed', 'worker-1', 1200, 'LOST')]);
    expect(tree.roots.map((r) => [r.eventId, r.missingCause])).toEqual([
      ['W', undefined],
      ['X', 'LOST'],
    ]);
  });

  it('shows an event stored twice once, counting the duplicate, and survives forged causation cycles', () => {
    const tree = buildCausationTree('W', [ev('A', 'task.created', 'p', 1, 'B'), ev('B', 'task.assigned', 'p', 2, 'A'), ev('A', 'task.created', 'p', 1, 'B', 9)]);
    expect(tree.events).toBe(2);
    expect(tree.roots).toHaveLength(1);
    expect(tree.roots[0]).toMatchObject({ eventId: 'A', duplicates: 1, children: [{ eventId: 'B' }] });
  });

  it('renders an indented tree', () => {
    const lines = renderCausationTree(buildCausationTree('W', events));
    expect(lines[0]).toBe('workflow W: 7 events by 4 agents (orchestrator, planner, worker-1, worker-2) over 900 ms, from 1970-01-01T00:00:01.000Z');
    expect(lines.slice(1)).toEqual([
      'workflow.requested  by planner  +0 ms  W',
      '└─ saga.started  by orchestrator  +10 ms (10 ms after its cause)  B',
      '   ├─ task.assigned  by orchestrator  +20 ms (10 ms after its cause)  D1',
      '   │  └─ task.completed  by worker-1  +500 ms (480 ms after its cause)  C1',
      '   └─ task.assigned  by orchestrator  +30 ms (20 ms after its cause)  D2',
      '      └─ task.completed  by worker-2  +800 ms (770 ms after its cause)  C2',
      '         └─ saga.completed  by orchestrator  +900 ms (100 ms after its cause)  S',
    ]);
  });
});
