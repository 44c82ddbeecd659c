import { createHash } from 'node:crypto';
import type { ContentFilter } from './routing/contentFilter';
import { SubscriptionNameConflictError } from './errors';

export const maxDefaultNameLength = 200;

const plain = /^[a-z0-9-]$/;

const encodeWord = (word: string): string => {
  if (word === '*') return '_any';
  if (word === '#') return '_all';
  let encoded = '';
  for (const char of word) {
    encoded += plain.test(char)
      ? char
      : [...Buffer.from(char, 'utf8')].map((byte) => `_${byte.toString(16).padStart(2, '0')}`).join('');
  }
  return encoded;
};

const hex16 = (text: string): string => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** What a subscription selects, as one string: equal for two subscriptions that get the same events. */
export const selection = (pattern: string, filter: ContentFilter | undefined): string => stableJson({ pattern, filter: filter ?? null });

/**
 * Default subscription names, which name consumer groups, so two different subscriptions must
 * never get the same one: colliding subscriptions would share a group and take each other's
 * events. Each word of the pattern is encoded so that the encoding can be read back:
 * `[a-z0-9-]` stays as it is, every other character becomes `_` and its UTF-8 bytes in hex
 * (`:` → `_3a`, `é` → `_c3_a9`, `_` → `_5f`), `*` becomes `_any` and `#` `_all`. A filter adds
 * `_filter-` and 16 hex digits of the hash of its canonical JSON. None of `_an`, `_al`, `_fi`
 * and `_lo` is an escaped byte, so no pattern's words spell a wildcard, a filter or a shortened tail.
 */
export const defaultSubscriptionName = (pattern: string, filter?: ContentFilter): string => {
  const words = pattern.split('.').map(encodeWord);
  if (filter) words.push(`_filter-${hex16(stableJson(filter))}`);
  const name = words.join('.');
  if (name.length <= maxDefaultNameLength) return name;
  // A long pattern keeps a readable head; the hash of the whole name keeps it apart from the others.
  const tail = `._long-${hex16(name)}`;
  return `${name.slice(0, maxDefaultNameLength - tail.length)}${tail}`;
};

/** The filter as JSON with keys sorted: key order must not change a name, and so a group's offsets. */
const stableJson = (value: unknown): string =>
  Array.isArray(value)
    ? `[${value.map(stableJson).join(',')}]`
    : value !== null && typeof value === 'object' && !(value instanceof RegExp)
      ? `{${Object.keys(value)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
          .join(',')}}`
      : JSON.stringify(value instanceof RegExp ? value.toString() : value);

/**
 * The subscription names one bus has handed out, with what each one selects. A second
 * subscription under a name already taken must select the same events (another competing
 * member of the group); one that selects others is refused, since it would share the group.
 */
export class SubscriptionNames {
  private readonly taken = new Map<string, { selects: string; pattern: string; holders: number }>();

  /** Takes the subscription's name, or throws; returns the release, for when it unsubscribes. */
  claim({ name, pattern, selects }: { name: string; pattern: { source: string }; selects: string }): () => void {
    const held = this.taken.get(name);
    if (held && held.selects !== selects) throw new SubscriptionNameConflictError(name, held.pattern, pattern.source);
    const entry = held ?? { selects, pattern: pattern.source, holders: 0 };
    entry.holders += 1;
    this.taken.set(name, entry);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      entry.holders -= 1;
      if (entry.holders === 0) this.taken.delete(name);
    };
  }
}
