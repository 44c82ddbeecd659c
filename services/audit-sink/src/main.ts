import { parseConfigOrExit } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { connectionDependencies, runService } from '@agentbus/runtime';
import { startAuditSink } from './auditSinkService';
import { loadAuditSinkConfig } from './config';

const config = parseConfigOrExit(() => loadAuditSinkConfig());
const logger = createLogger({ name: 'audit-sink', level: config.logLevel });
runService('audit-sink', logger, { httpPort: config.httpPort, dependencies: connectionDependencies(config.connection) }, (ops) => startAuditSink(config, logger, { ops }));
