import { causedBy, createEvent } from './createEvent';

const clockWithIds = (...ids: string[]) => ({ now: () => 1700000000000, newId: () => ids.shift() ?? 'out-of-ids' });

describe('createEvent', () => {
  it('takes the timestamp and id from the injected clock and fills defaults', () => {
    const event = createEvent({ type: 'task.created', source: 'agent-1', payload: { taskId: 't1' } }, clockWithIds('E1'));

    expect(event).toEqual({
      id: 'E1',
      type: 'task.created',
      source: 'agent-1',
      timestamp: 1700000000000,
      routingKey: 'task.created',
      payload: { taskId: 't1' },
      metadata: { correlationId: 'E1', version: '1' },
    });
  });

  it('passes the timestamp to newId', () => {
    const newId = jest.fn(() => 'E1');
    createEvent({ type: 't', source: 's', payload: null }, { now: () => 42, newId });
    expect(newId).toHaveBeenCalledWith(42);
  });

  it('keeps explicit routingKey, version, correlationId and causationId', () => {
    const event = createEvent(
      { type: 'task.assigned', source: 's', payload: {}, routingKey: 'task.assigned.agent-7', version: '2', correlationId: 'C', causationId: 'P' },
      clockWithIds('E1'),
    );
    expect(event.routingKey).toBe('task.assigned.agent-7');
    expect(event.metadata).toEqual({ correlationId: 'C', causationId: 'P', version: '2' });
  });

  it('generates a ULID when the clock has no newId', () => {
    const event = createEvent({ type: 't', source: 's', payload: null }, { now: () => 1700000000000 });
    expect(event.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });
});

describe('causedBy', () => {
  it("takes the parent's correlationId and the parent's id as causationId", () => {
    expect(causedBy({ id: 'P', metadata: { correlationId: 'C', version: '1' } })).toEqual({ correlationId: 'C', causationId: 'P' });
  });

  it("falls back to the parent's id when the parent has no correlationId", () => {
    expect(causedBy({ id: 'P', metadata: { version: '1' } })).toEqual({ correlationId: 'P', causationId: 'P' });
  });

  it('keeps one correlationId across a two-hop chain', () => {
    const clock = clockWithIds('A', 'B', 'C');
    const root = createEvent({ type: 'task.created', source: 's', payload: {} }, clock);
    const child = createEvent({ type: 'task.assigned', source: 's', payload: {}, ...causedBy(root) }, clock);
    const grandchild = createEvent({ type: 'task.completed', source: 's', payload: {}, ...causedBy(child) }, clock);

    expect([root.metadata, child.metadata, grandchild.metadata]).toEqual([
      { correlationId: 'A', version: '1' },
      { correlationId: 'A', causationId: 'A', version: '1' },
      { correlationId: 'A', causationId: 'B', version: '1' },
    ]);
  });
});
