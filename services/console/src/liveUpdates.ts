import type { ServerResponse } from 'node:http';
import type { Logger } from '@agentbus/logger';

export interface LiveSnapshot {
  overview: unknown;
  agents: Record<string, string>;
}

/**
 * Server-sent events for every open page. One poller, running only while someone listens, reads a
 * snapshot each interval and sends what changed: `overview` with the new figures, `agents` with
 * the agents whose status changed (the page then refetches its list).
 */
export class LiveUpdates {
  private readonly clients = new Set<ServerResponse>();
  private timer: NodeJS.Timeout | undefined;
  private last: { overview: string; agents: Record<string, string> } | undefined;
  private polling = false;

  constructor(
    private readonly snapshot: () => Promise<LiveSnapshot>,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  attach(res: ServerResponse): void {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 1000\n\n');
    this.clients.add(res);
    if (this.last) send(res, 'overview', JSON.parse(this.last.overview));
    res.on('close', () => {
      this.clients.delete(res);
      if (this.clients.size === 0) this.stopPolling();
    });
    if (!this.timer) this.timer = setInterval(() => void this.tick(), this.intervalMs);
    void this.tick();
  }

  close(): void {
    this.stopPolling();
    for (const res of this.clients) res.end();
    this.clients.clear();
  }

  private stopPolling(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const next = await this.snapshot();
      const overview = JSON.stringify(next.overview);
      const changed = Object.entries(next.agents).filter(([id, status]) => this.last?.agents[id] !== status);
      const gone = Object.keys(this.last?.agents ?? {}).filter((id) => !(id in next.agents));
      if (overview !== this.last?.overview) this.broadcast('overview', next.overview);
      if (this.last && (changed.length > 0 || gone.length > 0)) this.broadcast('agents', { changed: Object.fromEntries(changed), gone });
      this.last = { overview, agents: next.agents };
    } catch (error) {
      this.logger.warn({ err: error }, 'live update failed; trying again next interval');
    } finally {
      this.polling = false;
    }
  }

  private broadcast(event: string, data: unknown): void {
    for (const res of this.clients) send(res, event, data);
  }
}

const send = (res: ServerResponse, event: string, data: unknown): void => {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
};
