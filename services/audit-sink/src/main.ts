import { parseConfigOrExit } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { startAuditSink } from './auditSinkService';
import { loadAuditSinkConfig } from './config';

const main = async (): Promise<void> => {
  const config = parseConfigOrExit(() => loadAuditSinkConfig());
  const logger = createLogger({ name: 'audit-sink', level: config.logLevel });
  const sink = await startAuditSink(config, logger);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    logger.info({ signal }, 'shutting down');
    sink.stop().then(
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
  process.stderr.write(`audit-sink failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
