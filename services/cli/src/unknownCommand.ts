import type { Command, Option } from 'commander';

export interface UnknownCommand {
  /** The word that names no command. */
  readonly name: string;
  /** The command it was given to, e.g. `agentbus dlq`. */
  readonly under: string;
  /** What that command does know. */
  readonly known: readonly string[];
}

const commandPath = (command: Command): string => {
  const names: string[] = [];
  for (let at: Command | null = command; at; at = at.parent) names.unshift(at.name());
  return names.join(' ');
};

const findSubcommand = (command: Command, word: string): Command | undefined =>
  command.commands.find((sub) => sub.name() === word || sub.aliases().includes(word));

const findOption = (command: Command, flag: string): Option | undefined => command.options.find((option) => option.long === flag || option.short === flag);

/** Where the first operand is, stepping over this command's options and their values. */
const firstOperand = (command: Command, args: readonly string[]): number | undefined => {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--') return i + 1 < args.length ? i + 1 : undefined;
    if (!arg.startsWith('-') || arg === '-') return i;
    if (arg.includes('=') || /^-[^-]./.test(arg)) continue;
    const option = findOption(command, arg);
    const next = args[i + 1];
    if (option?.required || (option?.optional && next !== undefined && !next.startsWith('-'))) i += 1;
  }
  return undefined;
};

/**
 * The first word of `args` that should name a subcommand and names none. Commander answers
 * `agentbus nosuch --help` with the parent's help and exit 0, as if the word were not there;
 * looking first lets every unknown command fail the same way, with or without `--help`.
 */
export const findUnknownCommand = (program: Command, args: readonly string[]): UnknownCommand | undefined => {
  let command = program;
  let rest = args;
  while (command.commands.length > 0) {
    const at = firstOperand(command, rest);
    if (at === undefined) return undefined;
    const word = rest[at]!;
    const known = command.commands.flatMap((sub) => [sub.name(), ...sub.aliases()]);
    if (word === 'help' && !known.includes('help')) {
      const target = firstOperand(command, rest.slice(at + 1));
      const topic = target === undefined ? undefined : rest[at + 1 + target];
      return topic === undefined || findSubcommand(command, topic) ? undefined : { name: topic, under: commandPath(command), known };
    }
    const sub = findSubcommand(command, word);
    if (!sub) return { name: word, under: commandPath(command), known };
    command = sub;
    rest = rest.slice(at + 1);
  }
  return undefined;
};

export const unknownCommandMessage = ({ name, under, known }: UnknownCommand): string =>
  `error: unknown command '${name}' for '${under}'; its commands are ${known.join(', ')}`;
