import type { Knex } from 'knex';
import type { Logger } from '@agentbus/logger';
import { mapDatabaseError } from '@agentbus/postgres-sink';
import type { AgentSnapshot } from '@agentbus/sagas';
import type { SagaDecisions } from './sagaDecisions';

export interface SagaTimersOptions {
  db: Knex;
  decisions: SagaDecisions;
  intervalMs: number;
  ownedPartitions: () => readonly number[];
  agents: (at: number) => Promise<AgentSnapshot>;
  now: () => number;
  /** After every run: the relay may have new outbox rows, or leftovers of a crashed relay or a taken-over partition. */
  onRun: (fired: number) => void;
  databaseUrl: string;
  logger: Logger;
}

/** Durable timers: every interval, fires the due deadlines and retries of the owned sagas; a restart finds them in Postgres. */
export class SagaTimers {
  private readonly timer: NodeJS.Timeout;
  private run: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(private readonly options: SagaTimersOptions) {
    this.timer = setInterval(() => {
      this.run = this.run.then(() => this.fire()).catch((error: unknown) => {
        if (!this.stopping) options.logger.warn({ err: mapDatabaseError(error, options.databaseUrl) }, 'timer run failed; retrying on the next interval');
      });
    }, options.intervalMs);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.run;
  }

  private async fire(): Promise<void> {
    const owned = this.options.ownedPartitions();
    if (owned.length === 0) return this.options.onRun(0);
    const at = this.options.now();
    const agents = await this.options.agents(at);
    this.options.onRun(await this.options.db.transaction((trx) => this.options.decisions.applyDueTimers(trx, owned, agents, at)));
  }
}
