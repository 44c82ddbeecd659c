import { sourceOf, type DeadLetter, type DeadLetterQueue } from '@agentbus/bus';
import { deadLetterMatcher, sourcesOf, type DeadLetterMatch } from './deadLetters';

export interface ReplayResult {
  dryRun: boolean;
  matchingDeadLetters: number;
  /** The source records re-published (or, on a dry run, that would be), as topic/partition/offset. */
  sourceRecords: string[];
  republished: number;
  /** The dead letters of those records, for what the caller shows. */
  letters: DeadLetter[];
}

/**
 * `agentbus dlq replay` and the console's replay: every matching dead letter's source record goes
 * back to its topic once, with its key, bytes and headers. `confirm` is asked only when there is
 * something to send; a false answer sends nothing.
 */
export const replayDeadLetters = async (
  queue: DeadLetterQueue,
  options: DeadLetterMatch & { prefix: string; dryRun?: boolean; confirm?: (sources: number) => Promise<boolean> },
): Promise<ReplayResult & { cancelled: boolean }> => {
  const where = deadLetterMatcher(options, options.prefix);
  const letters = await queue.list({ where });
  const sources = sourcesOf(letters);
  let republished: DeadLetter[] = [];
  if (!options.dryRun && sources.length > 0) {
    if (options.confirm && !(await options.confirm(sources.length))) {
      return { dryRun: false, matchingDeadLetters: letters.length, sourceRecords: [], republished: 0, letters: [], cancelled: true };
    }
    republished = await queue.republish({ where });
  }
  const shown = options.dryRun ? sources : republished;
  return { dryRun: options.dryRun === true, matchingDeadLetters: letters.length, sourceRecords: shown.map(sourceOf), republished: republished.length, letters: shown, cancelled: false };
};
