import type { TaskAssignedPayload } from '@agentbus/events';
import { InMemoryEventBus } from '../inMemory/inMemoryBus';
import { EventDrivenAgent, type TaskOutcome } from './eventDrivenAgent';

class Summariser extends EventDrivenAgent {
  readonly seen: string[] = [];
  protected async execute(task: TaskAssignedPayload): Promise<TaskOutcome> {
    this.seen.push(task.taskId);
    if (task.description === 'explode') throw new Error('model refused');
    return { output: { summary: `summary of ${task.description}` }, metrics: { tokensUsed: 42 } };
  }
}

const assign = (agentId: string, taskId: string, description = 'the report') => ({
  type: 'task.assigned',
  source: 'orchestrator',
  routingKey: `task.assigned.${agentId}`,
  payload: { taskId, agentId, assignedBy: 'orchestrator', description, attempt: 2 },
});

describe('EventDrivenAgent', () => {
  let bus: InMemoryEventBus;
  let agent: Summariser;
  let clock: number;
  beforeEach(async () => {
    bus = new InMemoryEventBus();
    clock = 1_000;
    agent = new Summariser(bus, 'sum-1', () => (clock += 250));
    await agent.start();
  });

  it('acknowledges, executes and completes an assignment, each report caused by the assignment', async () => {
    const assignment = await bus.simulate(assign('sum-1', 't-1'));
    await bus.drain();

    const reports = bus.published.filter((e) => e.type !== 'task.assigned');
    expect(reports.map((e) => e.type)).toEqual(['task.acknowledged', 'task.completed']);
    expect(reports.every((e) => e.metadata.causationId === assignment.id && e.metadata.correlationId === assignment.id && e.source === 'sum-1')).toBe(true);
    expect(reports[1]!.payload).toEqual({
      taskId: 't-1',
      result: { status: 'success', output: '{"summary":"summary of the report"}', metrics: { durationMs: 250, tokensUsed: 42 } },
    });
  });

  it('reports task.failed with the error and the attempt when execute throws', async () => {
    await bus.simulate(assign('sum-1', 't-2', 'explode'));
    await bus.drain();
    const failed = bus.published.find((e) => e.type === 'task.failed');
    expect(failed?.payload).toEqual({ taskId: 't-2', agentId: 'sum-1', error: 'model refused', retriable: true, attempt: 2 });
    expect(bus.published.some((e) => e.type === 'task.completed')).toBe(false);
    expect(bus.deadLetters).toHaveLength(0);
  });

  it('ignores work assigned to another agent', async () => {
    await bus.simulate(assign('sum-2', 't-3'));
    await bus.drain();
    expect(agent.seen).toEqual([]);
  });

  it('stops taking work after system.shutdown', async () => {
    await bus.simulate({ type: 'system.shutdown', source: 'operator', payload: { reason: 'maintenance' } });
    await bus.drain();
    await new Promise((r) => setImmediate(r));
    await agent.stop();
    await bus.simulate(assign('sum-1', 't-4'));
    await bus.drain();
    expect(agent.seen).toEqual([]);
  });
});
