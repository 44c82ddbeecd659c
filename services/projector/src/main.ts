import { parseConfigOrExit } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { loadProjectorConfig } from './config';
import { startProjector } from './projector';

const main = async (): Promise<void> => {
  const config = parseConfigOrExit(() => loadProjectorConfig());
  const logger = createLogger({ name: 'projector', level: config.logLevel });
  const projector = await startProjector(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    projector.stop().then(
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
  process.stderr.write(`projector failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
