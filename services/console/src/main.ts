import { parseConfigOrExit } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { connectionDependencies, runService } from '@agentbus/runtime';
import { loadConsoleConfig } from './config';
import { startConsole } from './consoleServer';

const config = parseConfigOrExit(() => loadConsoleConfig());
const logger = createLogger({ name: 'console', level: config.logLevel });
runService('console', logger, { httpPort: config.httpPort, dependencies: connectionDependencies(config.connection) }, (ops) => startConsole(config, logger, { ops }));
