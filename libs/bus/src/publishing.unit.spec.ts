import type { AgentEvent } from '@agentbus/events';
import { runHandling } from './context/eventContext';
import { entityKey, prepareEvent } from './publishing';

const clockWithIds = (...ids: string[]) => ({ now: () => 1_700_000_000_000, newId: () => ids.shift() ?? 'out-of-ids' });
const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const input = { type: 'task.created', source: 'did:agent:s', payload: { taskId: 't1' } };

describe('prepareEvent', () => {
  it('outside a handler starts a workflow: correlationId is its own id, no causationId', () => {
    const event = prepareEvent(input, clockWithIds('E1'));
    expect(event).toEqual({ ...input, id: 'E1', timestamp: 1_700_000_000_000, routingKey: 'task.created', metadata: { correlationId: 'E1', version: '1' } });
  });

  it("inside a handler joins the handled event's workflow, also across an await", async () => {
    const handled = prepareEvent(input, clockWithIds('A'));
    const event = await runHandling(handled, tp, async () => {
      await Promise.resolve();
      await new Promise((resolve) => setTimeout(resolve, 1));
      return prepareEvent(input, clockWithIds('B'));
    });
    expect(event.metadata).toEqual({ correlationId: 'A', causationId: 'A', version: '1' });
  });

  it('keeps the root correlationId over two hops', () => {
    const a = prepareEvent(input, clockWithIds('A'));
    const b = runHandling(a, tp, () => prepareEvent(input, clockWithIds('B')));
    const c = runHandling(b, tp, () => prepareEvent(input, clockWithIds('C')));
    expect([b.metadata, c.metadata]).toEqual([
      { correlationId: 'A', causationId: 'A', version: '1' },
      { correlationId: 'A', causationId: 'B', version: '1' },
    ]);
  });

  it('lets an explicit correlationId win inside a handler', () => {
    const handled = prepareEvent(input, clockWithIds('A'));
    const event = runHandling(handled, tp, () => prepareEvent({ ...input, correlationId: 'X' }, clockWithIds('B')));
    expect(event.metadata.correlationId).toBe('X');
  });

  it('keeps a complete event as it is, defaulting its routingKey to its type', () => {
    const complete = { ...prepareEvent(input, clockWithIds('E1')), routingKey: undefined } as unknown as AgentEvent;
    expect(prepareEvent(complete)).toEqual({ ...complete, routingKey: 'task.created' });
  });

  it('gives a complete event without correlation the handled event as cause', () => {
    const handled = prepareEvent(input, clockWithIds('A'));
    const complete: AgentEvent = { id: 'E', type: 't', source: 's', timestamp: 1, routingKey: 't', payload: {}, metadata: { version: '1' } };
    expect(runHandling(handled, tp, () => prepareEvent(complete)).metadata).toEqual({ version: '1', correlationId: 'A', causationId: 'A' });
  });
});

describe('entityKey', () => {
  const withPayload = (payload: unknown): AgentEvent => ({ id: 'E', type: 't', source: 'did:agent:s', timestamp: 1, routingKey: 't', payload, metadata: { version: '1' } });

  it.each<[unknown, string]>([
    [{ taskId: 't1', agentId: 'a1', sagaId: 's1' }, 't1'],
    [{ agentId: 'a1', sagaId: 's1' }, 'a1'],
    [{ taskId: '', agentId: 'a1' }, 'a1'],
    [{ taskId: 7, sagaId: 's1' }, 's1'],
    [{ actionId: 'x1', documentId: 'd1' }, 'x1'],
    [{ documentId: 'd1', invocationId: 'i1' }, 'd1'],
    [{ invocationId: 'i1' }, 'i1'],
    [{ other: 'o' }, 'did:agent:s'],
    [null, 'did:agent:s'],
  ])('payload %j -> %s', (payload, key) => {
    expect(entityKey(withPayload(payload))).toBe(key);
  });
});
