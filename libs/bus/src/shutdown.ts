import type { Logger } from '@agentbus/logger';
import type { EventBus } from './eventBus';

/**
 * SIGTERM/SIGINT: stop fetching, finish in-flight handlers, commit, disconnect, then exit.
 * A second signal exits at once.
 */
export const closeOnSignals = (bus: Pick<EventBus, 'close'>, options: { logger: Logger; deadlineMs?: number; exit?: (code: number) => void; signals?: NodeJS.Signals[] }): (() => void) => {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let closing = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (closing) return exit(130);
    closing = true;
    options.logger.info({ signal, deadlineMs: options.deadlineMs }, 'shutting down');
    bus.close({ deadlineMs: options.deadlineMs }).then(
      () => exit(0),
      (error: unknown) => {
        options.logger.error({ err: error }, 'shutdown failed');
        exit(1);
      },
    );
  };
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  signals.forEach((s) => process.on(s, onSignal));
  return () => signals.forEach((s) => process.off(s, onSignal));
};
