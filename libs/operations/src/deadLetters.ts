import { sourceOf, type DeadLetter } from '@agentbus/bus';
import { eventCategories, topicName, type EventCategory } from '@agentbus/events';

export interface DeadLetterMatch {
  code?: string;
  subscription?: string;
  sourceTopic?: string;
  /** Only these dead letters, as partition:offset in the dead-letter topic. */
  refs?: readonly string[];
}

/** A category name stands for its topic under the prefix; anything else is a topic name. */
export const resolveSourceTopic = (prefix: string, value: string): string =>
  (eventCategories as readonly string[]).includes(value) ? topicName(prefix, value as EventCategory) : value;

export const refOf = (d: Pick<DeadLetter, 'partition' | 'offset'>): string => `${d.partition}:${d.offset}`;

export const deadLetterMatcher = (options: DeadLetterMatch, prefix: string): ((d: DeadLetter) => boolean) => {
  const sourceTopic = options.sourceTopic === undefined ? undefined : resolveSourceTopic(prefix, options.sourceTopic);
  const refs = options.refs === undefined ? undefined : new Set(options.refs);
  return (d) =>
    (options.code === undefined || d.code === options.code) &&
    (options.subscription === undefined || d.subscription === options.subscription) &&
    (sourceTopic === undefined || d.sourceTopic === sourceTopic) &&
    (refs === undefined || refs.has(refOf(d)));
};

/** The source records republish sends: one per source position, none whose source is unknown. */
export const sourcesOf = (letters: readonly DeadLetter[]): DeadLetter[] => {
  const bySource = new Map<string, DeadLetter>();
  for (const d of letters) if (d.sourceTopic !== '(unknown)' && !bySource.has(sourceOf(d))) bySource.set(sourceOf(d), d);
  return [...bySource.values()];
};
