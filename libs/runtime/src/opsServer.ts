import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Logger } from '@agentbus/logger';

export interface HealthReport {
  ok: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

/** The health check every service shares: Postgres answers a trivial query. */
export const databaseCheck = (db: { raw(sql: string): PromiseLike<unknown> }): Promise<{ ok: boolean; detail?: string }> =>
  Promise.resolve(db.raw('select 1')).then(
    () => ({ ok: true }),
    (e: Error) => ({ ok: false, detail: e.message }),
  );

/** What the ops port answers: /health, /metrics from `registry`, and the service's own routes. */
export interface OpsHandlers {
  registry: Registry;
  health: () => Promise<HealthReport>;
  routes?: Record<string, OpsRoute>;
  /** Every other request, any method (the console's web app); without it they get 404. */
  fallback?: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface OpsServer {
  readonly registry: Registry;
  port: number;
  /** Answers with these handlers from now on: runService listens before the service has started, and the service takes the port over. */
  serve(handlers: OpsHandlers): OpsServer;
  close(): Promise<void>;
}

export const createMetricsRegistry = (service: string): Registry => {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
};

/** A service's own GET endpoint on the ops port, e.g. the presence monitor's /agents. */
export type OpsRoute = (url: URL, res: ServerResponse) => void;

/** GET /health (200 or 503 with the checks as JSON), GET /metrics (Prometheus text format) and any `routes`. */
export const startOpsServer = async (options: OpsHandlers & { port: number; host?: string; logger: Logger }): Promise<OpsServer> => {
  let handlers: OpsHandlers = options;
  const server: Server = createServer((req, res) => {
    const { registry, health, routes, fallback } = handlers;
    const path = (req.url ?? '/').split('?')[0];
    const route = req.method === 'GET' && path ? routes?.[path] : undefined;
    if (route) {
      route(new URL(req.url ?? '/', 'http://localhost'), res);
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text),
        (error: Error) => res.writeHead(500).end(error.message),
      );
      return;
    }
    if (req.method === 'GET' && (path === '/health' || path === '/healthz')) {
      health().then(
        (report) => res.writeHead(report.ok ? 200 : 503, { 'Content-Type': 'application/json' }).end(JSON.stringify(report)),
        (error: Error) => res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: false, checks: { health: { ok: false, detail: error.message } } })),
      );
      return;
    }
    if (fallback) fallback(req, res);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as { port: number }).port;
  options.logger.info({ port }, 'health and metrics endpoints listening');
  const ops: OpsServer = {
    get registry() {
      return handlers.registry;
    },
    port,
    serve: (next) => {
      handlers = next;
      return ops;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  return ops;
};

/** The service's handlers on the server runService already listens on, or on a new server of their own (a service started in-process, as tests do). */
export const serveOps = (host: OpsServer | undefined, options: OpsHandlers & { port: number; logger: Logger }): Promise<OpsServer> =>
  host ? Promise.resolve(host.serve(options)) : startOpsServer(options);
