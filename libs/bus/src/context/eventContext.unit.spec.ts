import type { AgentEvent } from '@agentbus/events';
import { Handling, currentHandling, inheritedCorrelation, runHandling, runHandlingOf } from './eventContext';

const event = (id: string, correlationId?: string): AgentEvent => ({
  id,
  type: 'task.created',
  source: 'did:agent:s',
  timestamp: 0,
  routingKey: 'task.created',
  payload: {},
  metadata: { version: '1', ...(correlationId ? { correlationId } : {}) },
});
const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('event context', () => {
  it('has no handling and inherits nothing outside a handler', () => {
    expect(currentHandling()).toBeUndefined();
    expect(inheritedCorrelation({})).toEqual({});
  });

  it('exposes the handled event and traceparent inside runHandling and returns its result', () => {
    const handled = event('B', 'A');
    const result = runHandling(handled, tp, () => currentHandling());
    expect(result).toEqual({ event: handled, traceparent: tp });
    expect(currentHandling()).toBeUndefined();
  });

  it("inherits the handled event's correlationId and names it as cause, also after an await", async () => {
    const inherited = await runHandling(event('B', 'A'), tp, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return inheritedCorrelation({});
    });
    expect(inherited).toEqual({ correlationId: 'A', causationId: 'B' });
  });

  it('uses the handled event id as correlation when it has none', () => {
    expect(runHandling(event('A'), tp, () => inheritedCorrelation({}))).toEqual({ correlationId: 'A', causationId: 'A' });
  });

  it('lets explicit values win, field by field', () => {
    runHandling(event('B', 'A'), tp, () => {
      expect(inheritedCorrelation({ correlationId: 'X' })).toEqual({ correlationId: 'X', causationId: 'B' });
      expect(inheritedCorrelation({ correlationId: 'X', causationId: 'Y' })).toEqual({ correlationId: 'X', causationId: 'Y' });
    });
  });

  it('keeps concurrent handlings apart', async () => {
    const handle = (e: AgentEvent, ms: number) =>
      runHandling(e, tp, async () => {
        await new Promise((resolve) => setTimeout(resolve, ms));
        return inheritedCorrelation({}).causationId;
      });
    await expect(Promise.all([handle(event('B1', 'A1'), 5), handle(event('B2', 'A2'), 1)])).resolves.toEqual(['B1', 'B2']);
  });

  it('restores the outer handling after a nested one', () => {
    runHandling(event('outer'), tp, () => {
      expect(runHandling(event('inner'), tp, () => currentHandling()?.event.id)).toBe('inner');
      expect(currentHandling()?.event.id).toBe('outer');
    });
  });

  it('runHandlingOf passes its arguments through, and a Handling draws one span of the record\'s trace when asked', async () => {
    const handling = new Handling(event('B', 'A'), tp);
    const seen = await runHandlingOf(handling, async (a: number, b: string) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return { args: [a, b], causation: inheritedCorrelation({}).causationId, traceparent: currentHandling()?.traceparent };
    }, 1, 'x');
    expect(seen.args).toEqual([1, 'x']);
    expect(seen.causation).toBe('B');
    expect(seen.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(seen.traceparent).not.toBe(tp);
    expect(handling.traceparent).toBe(seen.traceparent);
    expect(new Handling(event('C'), undefined).traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  });
});
