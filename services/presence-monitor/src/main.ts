import { parseConfigOrExit } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { loadPresenceMonitorConfig } from './config';
import { startPresenceMonitor } from './presenceMonitor';

const main = async (): Promise<void> => {
  const config = parseConfigOrExit(() => loadPresenceMonitorConfig());
  const logger = createLogger({ name: 'presence-monitor', level: config.logLevel });
  const monitor = await startPresenceMonitor(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    monitor.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
};

main().catch((error: unknown) => {
  process.stderr.write(`presence monitor failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
