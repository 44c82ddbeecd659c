import type { Command } from 'commander';
import { register as registerAudit } from './audit';
import { register as registerAgents } from './agents';
import { register as registerDlq } from './dlq';
import { register as registerKeys } from './keys';
import { register as registerMigrate } from './migrate';
import { register as registerReplay } from './replay';
import { register as registerSaga } from './saga';
import { register as registerState } from './state';
import { register as registerTail } from './tail';
import { register as registerTopics } from './topics';
import { register as registerTrace } from './trace';

export const registerCommands = (program: Command): void => {
  registerTopics(program);
  registerMigrate(program);
  registerTail(program);
  registerDlq(program);
  registerReplay(program);
  registerState(program);
  registerSaga(program);
  registerAudit(program);
  registerTrace(program);
  registerKeys(program);
  registerAgents(program);
};
