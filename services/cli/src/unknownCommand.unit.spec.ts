import { createProgram } from './program';
import { findUnknownCommand, unknownCommandMessage } from './unknownCommand';

const program = createProgram();

describe('findUnknownCommand', () => {
  it.each([
    [['nosuchcommand'], 'nosuchcommand', 'agentbus'],
    [['nosuchcommand', '--help'], 'nosuchcommand', 'agentbus'],
    [['--help', 'nosuchcommand'], 'nosuchcommand', 'agentbus'],
    [['help', 'nosuchcommand'], 'nosuchcommand', 'agentbus'],
    [['dlq', 'nosuch', '--help'], 'nosuch', 'agentbus dlq'],
    [['saga', '--help', 'nosuch'], 'nosuch', 'agentbus saga'],
    [['help', 'topics', 'x'], undefined, undefined],
  ])('%j names %s under %s', (args, name, under) => {
    const unknown = findUnknownCommand(program, args);
    expect(unknown && { name: unknown.name, under: unknown.under }).toEqual(name === undefined ? undefined : { name, under });
  });

  it.each([
    [[]],
    [['--help']],
    [['-h']],
    [['--version']],
    [['help']],
    [['help', 'dlq']],
    [['dlq']],
    [['dlq', '--help']],
    [['dlq', 'list', '--code', 'HANDLER_FAILED']],
    [['tail', 'task.*', '--from', 'earliest']],
    // An operand of a leaf command is its argument, not a command.
    [['tail', 'nosuch', '--help']],
    [['state', 'task', 't-1', '--at', '2026-11-24T10:00:00Z']],
    [['saga', 'start', 'order', '--input', '{}']],
    [['audit', 'verify', '--topic', 'decision']],
  ])('%j names every command it gives', (args) => {
    expect(findUnknownCommand(program, args)).toBeUndefined();
  });

  it('lists the commands the parent knows', () => {
    const unknown = findUnknownCommand(program, ['dlq', 'purge'])!;
    expect(unknownCommandMessage(unknown)).toBe("error: unknown command 'purge' for 'agentbus dlq'; its commands are list, show, replay");
  });

  it('knows every command the root help lists', () => {
    const listed = program.commands.map((command) => command.name());
    expect(listed).toEqual(['topics', 'migrate', 'tail', 'dlq', 'replay', 'state', 'saga', 'audit', 'trace', 'keys', 'agents']);
    for (const name of listed) expect(findUnknownCommand(program, [name, '--help'])).toBeUndefined();
  });
});
