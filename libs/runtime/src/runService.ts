import { backoffDelay, defaultRetryPolicy, type RetryPolicy } from '@agentbus/bus';
import { isRetriable } from '@agentbus/events';
import type { Logger } from '@agentbus/logger';
import { describeUnavailable, unavailable, type Dependency } from './dependencies';
import { createMetricsRegistry, startOpsServer, type HealthReport, type OpsServer } from './opsServer';

export interface RunServiceOptions {
  /** /health and /metrics listen here from the first moment, not ready and saying why, until the service has started and takes the port over. */
  httpPort: number;
  /** What the service needs to start: it waits for each, with backoff, instead of exiting. */
  dependencies: readonly Dependency[];
  retry?: Partial<RetryPolicy>;
}

export interface StartedService {
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * A service's main. Serves /health at once (503, naming what it waits for), waits with backoff
 * until every dependency answers, then starts the service on that same ops server; a start that
 * fails while a dependency is down (or with a retriable error) waits again instead of exiting.
 * Stops cleanly on SIGTERM/SIGINT (exit 0, or 1 if stopping fails), exits at once on a second
 * signal, and exits 1 with one line on stderr on a failure that waiting cannot mend (a bad
 * password, a port in use, a bug).
 */
export const runService = (name: string, logger: Logger, options: RunServiceOptions, start: (ops: OpsServer) => Promise<StartedService>): void => {
  const retry = { ...defaultRetryPolicy, initialDelayMs: 500, maxDelayMs: 10_000, ...options.retry };
  let status: HealthReport = { ok: false, checks: { startup: { ok: false, detail: 'checking dependencies' } } };
  let ops: OpsServer | undefined;
  let service: StartedService | undefined;
  let stopping = false;

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    // While it is still waiting, nothing has started that needs stopping.
    Promise.resolve(service?.stop() ?? ops?.close()).then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);

  const waitForDependencies = async (): Promise<void> => {
    for (let attempt = 1; !stopping; attempt++) {
      const down = await unavailable(options.dependencies);
      if (down.length === 0) return;
      const retryInMs = backoffDelay(retry, attempt);
      const waitingFor = down.map((d) => d.dependency.name);
      status = { ok: false, checks: { startup: { ok: false, detail: `waiting for ${describeUnavailable(down)}` } } };
      logger.warn({ waitingFor, attempt, retryInMs, reason: describeUnavailable(down) }, `waiting for ${waitingFor.join(', ')} before starting`);
      await sleep(retryInMs);
    }
  };

  const run = async (): Promise<void> => {
    ops = await startOpsServer({ port: options.httpPort, logger, registry: createMetricsRegistry(name), health: async () => status });
    for (let attempt = 1; !stopping; attempt++) {
      await waitForDependencies();
      if (stopping) return;
      status = { ok: false, checks: { startup: { ok: false, detail: 'starting' } } };
      try {
        service = await start(ops);
        return;
      } catch (error) {
        // Something went down between the check and the start: wait for it again.
        const down = await unavailable(options.dependencies);
        if (down.length === 0 && !isRetriable(error)) throw error;
        const retryInMs = backoffDelay(retry, attempt);
        status = { ok: false, checks: { startup: { ok: false, detail: `start failed, retrying: ${down.length > 0 ? describeUnavailable(down) : messageOf(error)}` } } };
        logger.warn({ err: error, attempt, retryInMs }, 'could not start; waiting for the dependencies and trying again');
        await sleep(retryInMs);
      }
    }
  };

  run().catch((error: unknown) => {
    process.stderr.write(`${name} failed to start: ${messageOf(error)}\n`);
    process.exit(1);
  });
};
