/**
 * Routing keys and subscription patterns are dotted words (AMQP topic style): one rule, shared by
 * publishing, decoding and subscribing. https://www.rabbitmq.com/tutorials/tutorial-five-javascript
 */
const forbidden = /[\s*#]/;

// With the checks on its ends, this finds every problem a key can have (an empty word, whitespace,
// a wildcard), so a good key is accepted with one regex scan and no split.
const suspicious = /\.\.|[\s*#]/;
const dot = 46;

/**
 * Why `text` is not a dotted-word `what` (`routing key`, `pattern`), or undefined. Patterns may use
 * `*` and `#` as whole words; routing keys are literal.
 */
export const dottedWordsProblem = (text: string, what: string, allowWildcards: boolean): string | undefined => {
  if (text.length === 0) return `${what} is empty`;
  const words = text.split('.');
  for (let i = 0; i < words.length; i++) {
    const word = words[i]!;
    if (word.length === 0) return `empty word at position ${i + 1} (two dots, or a leading or trailing dot)`;
    if (allowWildcards && (word === '*' || word === '#')) continue;
    if (!forbidden.test(word)) continue;
    if (/\s/.test(word)) return `word ${JSON.stringify(word)} contains whitespace`;
    return allowWildcards
      ? `word ${JSON.stringify(word)} mixes a wildcard with text; * and # must be whole words`
      : `word ${JSON.stringify(word)} contains a wildcard; routing keys are literal`;
  }
  return undefined;
};

export const routingKeyProblem = (routingKey: string): string | undefined =>
  routingKey.length === 0 || routingKey.charCodeAt(0) === dot || routingKey.charCodeAt(routingKey.length - 1) === dot || suspicious.test(routingKey)
    ? dottedWordsProblem(routingKey, 'routing key', false)
    : undefined;

/** The record header that carries the routing key, so consumers can route without decoding. */
export const routingKeyHeader = 'agentbus-routing-key';
