import { isAgentbusError, type AgentEvent, type TaskAssignedPayload, type TaskMetrics } from '@agentbus/events';
import type { EventBus, Subscription } from '../eventBus';

export interface TaskOutcome {
  /** Anything JSON-serialisable; it travels as task.completed's result.output. */
  output: unknown;
  status?: 'success' | 'partial';
  metrics?: Partial<TaskMetrics>;
}

export type TaskAssignedEvent = AgentEvent<'task.assigned', TaskAssignedPayload>;

/**
 * The seed's EventDrivenAgent: subscribes to `task.assigned.<agentId>` and `system.shutdown`,
 * and reports acknowledged, then completed or failed, around `execute`. Each report is caused
 * by the assignment, so the workflow can be traced.
 */
export abstract class EventDrivenAgent {
  private subscriptions: Subscription[] = [];
  private stopping: Promise<void> | undefined;

  constructor(
    protected readonly bus: EventBus,
    readonly agentId: string,
    protected readonly now: () => number = Date.now,
  ) {}

  protected abstract execute(task: TaskAssignedPayload, event: TaskAssignedEvent): Promise<TaskOutcome>;

  async start(): Promise<void> {
    this.subscriptions = await Promise.all([
      this.bus.subscribe(`task.assigned.${this.agentId}`, (e) => this.onTaskAssigned(e as TaskAssignedEvent), { name: `agent.${this.agentId}.tasks` }),
      this.bus.subscribe('system.shutdown', () => this.onShutdown(), { name: `agent.${this.agentId}.shutdown`, mode: 'broadcast' }),
    ]);
  }

  /** Resolves when both subscriptions receive events. */
  async ready(): Promise<void> {
    await Promise.all(this.subscriptions.map((s) => s.ready()));
  }

  stop(): Promise<void> {
    this.stopping ??= Promise.all(this.subscriptions.map((s) => s.unsubscribe())).then(() => undefined);
    return this.stopping;
  }

  protected onShutdown(): void {
    // Unsubscribing waits for running handlers, this one included, so it must not be awaited here.
    setImmediate(() => void this.stop());
  }

  private async onTaskAssigned(event: TaskAssignedEvent): Promise<void> {
    const task = event.payload;
    if (task.agentId !== this.agentId) return;
    await this.bus.publish({ type: 'task.acknowledged', source: this.agentId, payload: { taskId: task.taskId, agentId: this.agentId } });
    const started = this.now();
    let outcome: TaskOutcome;
    try {
      outcome = await this.execute(task, event);
    } catch (error) {
      await this.bus.publish({
        type: 'task.failed',
        source: this.agentId,
        payload: {
          taskId: task.taskId,
          agentId: this.agentId,
          error: error instanceof Error ? error.message : String(error),
          // An unknown failure may pass on another try; a typed one says whether it would.
          retriable: isAgentbusError(error) ? error.retriable : true,
          attempt: task.attempt,
        },
      });
      return;
    }
    await this.bus.publish({
      type: 'task.completed',
      source: this.agentId,
      payload: {
        taskId: task.taskId,
        result: {
          status: outcome.status ?? 'success',
          output: JSON.stringify(outcome.output ?? null),
          metrics: { durationMs: outcome.metrics?.durationMs ?? this.now() - started, tokensUsed: outcome.metrics?.tokensUsed ?? null },
        },
      },
    });
  }
}
