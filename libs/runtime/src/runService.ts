import type { Logger } from '@agentbus/logger';

/**
 * A service's main: starts it, stops it cleanly on SIGTERM/SIGINT (exit 0, or 1 if stopping
 * fails), exits at once on a second signal, and exits 1 with one line on stderr if it cannot start.
 */
export const runService = (name: string, logger: Logger, start: () => Promise<{ stop(): Promise<void> }>): void => {
  start().then(
    (service) => {
      let stopping = false;
      const stop = (signal: NodeJS.Signals) => {
        if (stopping) process.exit(130);
        stopping = true;
        logger.info({ signal }, 'shutting down');
        service.stop().then(
          () => process.exit(0),
          (error: unknown) => {
            logger.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    },
    (error: unknown) => {
      process.stderr.write(`${name} failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
};
