import { Command } from 'commander';
import { version } from '../package.json';
import { ExitCodes, exitWith, reportFailure } from './cliSupport';
import { registerCommands } from './commands';

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

// `agentbus tail ... | head` closes the pipe early; that is the reader being done, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCodes.ok);
  throw error;
});

program.parseAsync(process.argv).then(
  () => exitWith(ExitCodes.ok),
  (error: unknown) => exitWith(reportFailure(error)),
);
