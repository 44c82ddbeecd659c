import { ExitCodes, exitWith, reportFailure } from './cliSupport';
import { createProgram } from './program';
import { findUnknownCommand, unknownCommandMessage } from './unknownCommand';

const program = createProgram();

// `agentbus tail ... | head` closes the pipe early; that is the reader being done, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(ExitCodes.ok);
  throw error;
});

const unknown = findUnknownCommand(program, process.argv.slice(2));
if (unknown) program.error(unknownCommandMessage(unknown), { exitCode: ExitCodes.usage, code: 'commander.unknownCommand' });

program.parseAsync(process.argv).then(
  () => exitWith(ExitCodes.ok),
  (error: unknown) => exitWith(reportFailure(error)),
);
