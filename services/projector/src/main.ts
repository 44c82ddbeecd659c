import { parseConfigOrExit } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { connectionDependencies, runService } from '@agentbus/runtime';
import { loadProjectorConfig } from './config';
import { startProjector } from './projector';

const config = parseConfigOrExit(() => loadProjectorConfig());
const logger = createLogger({ name: 'projector', level: config.logLevel });
runService('projector', logger, { httpPort: config.httpPort, dependencies: connectionDependencies(config.connection) }, (ops) => startProjector(config, logger, { ops }));
