import { parseConfigOrExit } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { connectionDependencies, runService } from '@agentbus/runtime';
import { loadPresenceMonitorConfig } from './config';
import { startPresenceMonitor } from './presenceMonitor';

const config = parseConfigOrExit(() => loadPresenceMonitorConfig());
const logger = createLogger({ name: 'presence-monitor', level: config.logLevel });
runService('presence monitor', logger, { httpPort: config.httpPort, dependencies: connectionDependencies(config.connection) }, (ops) => startPresenceMonitor(config, logger, { ops }));
