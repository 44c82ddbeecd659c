import { parseConfigOrExit } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { loadOrchestratorConfig } from './config';
import { startSagaOrchestrator } from './sagaOrchestrator';

const main = async (): Promise<void> => {
  const config = parseConfigOrExit(() => loadOrchestratorConfig());
  const logger = createLogger({ name: 'saga-orchestrator', level: config.logLevel });
  const orchestrator = await startSagaOrchestrator(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    orchestrator.stop().then(
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
  process.stderr.write(`saga-orchestrator failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
