import { isAgentbusError } from '@agentbus/events';
import { describeEventBusContract } from '../testing';
import { InMemoryEventBus } from './inMemoryBus';

describeEventBusContract('in-memory', async () => {
  const bus = new InMemoryEventBus();
  return {
    bus: async () => bus,
    deadLetters: async () =>
      bus.deadLetters.map((d) => ({
        eventId: d.event.id,
        code: isAgentbusError(d.error) ? d.error.code : 'HANDLER_FAILED',
        reason: d.error instanceof Error ? `${d.error.name}: ${d.error.message}` : String(d.error),
      })),
    cleanup: () => bus.close(),
    timeoutMs: 2000,
  };
});

describe('in-memory bus as a test harness (the seed\'s EventTestHarness)', () => {
  it('records what agents publish and drains every reaction', async () => {
    const bus = new InMemoryEventBus();
    await bus.subscribe('task.created', async (e) => {
      await bus.publish({ type: 'task.acknowledged', source: 'did:agent:test', payload: { taskId: (e.payload as { taskId: string }).taskId, agentId: 'test' } });
    });
    await bus.simulate({ type: 'task.created', source: 'orchestrator', payload: { taskId: 't-1', description: 'Test task', priority: 'normal', domain: null, requiredCapability: null, input: null } });
    await bus.drain();
    expect(bus.published.map((e) => e.type)).toEqual(['task.created', 'task.acknowledged']);
  });
});
