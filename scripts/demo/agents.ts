import { EventDrivenAgent, startPresence, type EventBus, type Presence, type TaskOutcome } from '@agentbus/bus';
import type { TaskAssignedPayload } from '@agentbus/events';

/** A demo worker: pretends to think for a while, sometimes fails, and reports tokens used. */
export class DemoWorker extends EventDrivenAgent {
  private busy = 0;
  private handled = 0;
  private presence: Presence | undefined;

  constructor(
    bus: EventBus,
    agentId: string,
    readonly capabilities: string[],
    private readonly failEvery = 0,
  ) {
    super(bus, agentId);
  }

  async join(): Promise<void> {
    await this.start();
    await this.ready();
    this.presence = await startPresence(this.bus, {
      agentId: this.agentId,
      agentClass: 'demo-worker',
      capabilities: this.capabilities,
      capacity: () => 4 - this.busy,
      load: () => this.busy / 4,
      inFlight: () => this.busy,
      heartbeatIntervalMs: 1000,
    });
  }

  async leave(): Promise<void> {
    await this.presence?.stop('demo finished');
    await this.stop();
  }

  protected async execute(task: TaskAssignedPayload): Promise<TaskOutcome> {
    this.busy++;
    try {
      await new Promise((r) => setTimeout(r, 30 + Math.random() * 150));
      this.handled++;
      if (this.failEvery > 0 && this.handled % this.failEvery === 0) throw new Error(`${this.agentId} ran out of context window`);
      return { output: { summary: `${task.description}: done by ${this.agentId}` }, metrics: { tokensUsed: 200 + Math.floor(Math.random() * 800) } };
    } finally {
      this.busy--;
    }
  }
}
