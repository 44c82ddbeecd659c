import { Command } from 'commander';
import { version } from '../package.json';
import { ExitCodes } from './cliSupport';
import { registerCommands } from './commands';

/** The whole command tree, without parsing anything: `main.ts` runs it, tests inspect it. */
export const createProgram = (): Command => {
  const program = new Command()
    .name('agentbus')
    .description('Operate an agentbus: set up topics and schemas, tail events, inspect and re-publish dead letters.')
    .version(version)
    .showHelpAfterError('(add --help for usage)')
    // Commander exits 1 on a bad argument; usage errors exit 2 here, like the validation done in actions.
    .exitOverride((error) => process.exit(error.exitCode === 0 ? ExitCodes.ok : ExitCodes.usage))
    .addHelpText(
      'after',
      `
Connections come from the environment (KAFKA_BROKERS, SCHEMA_REGISTRY_URL, DATABASE_URL,
AGENTBUS_TOPIC_PREFIX, ...); the defaults point at \`npm run infra -- up\`. Logs go to stderr
at LOG_LEVEL (default warn).

Exit codes: 0 ok, 1 failure, 2 usage error, 3 not found, 78 bad configuration.

Examples:
  $ agentbus topics setup
  $ agentbus tail 'task.*' --from earliest
  $ agentbus dlq list`,
    );
  registerCommands(program);
  return program;
};
