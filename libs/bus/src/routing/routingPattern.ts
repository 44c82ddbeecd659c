import { dottedWordsProblem } from '@agentbus/events';
import { InvalidPatternError } from '../errors';

/**
 * AMQP topic semantics over dotted routing keys: `*` is exactly one word, `#` is zero or more
 * words, and `#` alone matches everything. https://www.rabbitmq.com/tutorials/tutorial-five-javascript
 */
export interface RoutingPattern {
  readonly source: string;
  readonly words: readonly string[];
  matches(routingKey: string): boolean;
}

const splitWords = (text: string, what: string, allowWildcards: boolean): string[] => {
  const problem = dottedWordsProblem(text, what, allowWildcards);
  if (problem !== undefined) throw new InvalidPatternError(text, problem);
  return text.split('.');
};

/** Validates a routing key an event carries: dotted, non-empty words, no wildcards. */
export const parseRoutingKey = (routingKey: string): string[] => splitWords(routingKey, 'routing key', false);

const matchWords = (pattern: readonly string[], key: readonly string[]): boolean => {
  // reachable[j]: the first i pattern words can match the first j key words.
  let reachable = key.map(() => false).concat(false);
  reachable[0] = true;
  for (const word of pattern) {
    const next = reachable.map(() => false);
    for (let j = 0; j <= key.length; j++) {
      if (word === '#') next[j] = reachable[j]! || (j > 0 && next[j - 1]!);
      else if (j > 0 && reachable[j - 1] && (word === '*' || word === key[j - 1])) next[j] = true;
    }
    reachable = next;
  }
  return reachable[key.length]!;
};

export const parsePattern = (pattern: string): RoutingPattern => {
  const words = splitWords(pattern, 'pattern', true);
  const everything = words.every((w) => w === '#');
  const literal = words.every((w) => w !== '*' && w !== '#');
  return {
    source: pattern,
    words,
    matches: everything ? () => true : literal ? (key) => key === pattern : (key) => matchWords(words, key.split('.')),
  };
};
