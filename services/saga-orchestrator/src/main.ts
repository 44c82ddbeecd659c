import { parseConfigOrExit } from '@agentbus/config';
import { createLogger } from '@agentbus/logger';
import { connectionDependencies, runService } from '@agentbus/runtime';
import { loadOrchestratorConfig } from './config';
import { startSagaOrchestrator } from './sagaOrchestrator';

const config = parseConfigOrExit(() => loadOrchestratorConfig());
const logger = createLogger({ name: 'saga-orchestrator', level: config.logLevel });
runService('saga-orchestrator', logger, { httpPort: config.httpPort, dependencies: connectionDependencies(config.connection) }, (ops) => startSagaOrchestrator(config, logger, { ops }));
