// Keeps one process of each service running, as an orchestrator would: a SIGKILL on purpose is
// followed by a fresh start at once, and a process that exits by itself is started again after a
// short pause and counted, with the reason it gave.
import { spawnService, type ServiceProcess } from '@agentbus/testing';

export interface SupervisedService {
  name: string;
  main: string;
  /** The line its log prints once it serves. */
  readyLine: string;
  env: NodeJS.ProcessEnv;
}

export interface SelfExit {
  service: string;
  atMs: number;
  code: number | null;
  lastLines: string;
}

const lastLines = (output: string, n = 3): string => output.trim().split('\n').slice(-n).join(' | ').slice(0, 600);

export class Supervisor {
  private current: ServiceProcess | undefined;
  private stopping = false;
  private killing = false;
  kills = 0;
  starts = 0;
  readonly selfExits: SelfExit[] = [];

  constructor(
    private readonly service: SupervisedService,
    private readonly clock: () => number,
    private readonly restartDelayMs = 1000,
  ) {}

  get name(): string {
    return this.service.name;
  }

  get process(): ServiceProcess | undefined {
    return this.current;
  }

  start(): ServiceProcess {
    const p = spawnService(this.service.main, this.service.env);
    this.current = p;
    this.starts++;
    void p.exited.then((code) => {
      if (this.stopping || this.killing || this.current !== p) return;
      this.selfExits.push({ service: this.service.name, atMs: this.clock(), code, lastLines: lastLines(p.output()) });
      setTimeout(() => {
        if (!this.stopping && this.current === p) this.start();
      }, this.restartDelayMs);
    });
    return p;
  }

  isReady(): boolean {
    return this.current?.output().includes(this.service.readyLine) === true && this.current.child.exitCode === null;
  }

  /** SIGKILL, then a fresh process straight away: the crash an orchestrator would restart. */
  async kill(): Promise<void> {
    const p = this.current;
    if (!p) return;
    this.killing = true;
    try {
      await p.kill('SIGKILL');
    } finally {
      this.killing = false;
    }
    this.kills++;
    if (!this.stopping) this.start();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const p = this.current;
    if (!p) return;
    const graceful = p.kill('SIGTERM');
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000).unref());
    if ((await Promise.race([graceful, timeout])) === 'timeout') await p.kill('SIGKILL');
  }

  output(): string {
    return this.current?.output() ?? '';
  }
}
