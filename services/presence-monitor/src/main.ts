import { parseConfigOrExit } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { runService } from '@agentbus/runtime';
import { loadPresenceMonitorConfig } from './config';
import { startPresenceMonitor } from './presenceMonitor';

const config = parseConfigOrExit(() => loadPresenceMonitorConfig());
const logger = createLogger({ name: 'presence-monitor', level: config.logLevel });
runService('presence monitor', logger, () => startPresenceMonitor(config, logger));
