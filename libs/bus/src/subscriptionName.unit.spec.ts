import { thrownBy } from '@agentbus/testing';
import { AgentbusError } from '@agentbus/events';
import { parsePattern } from './routing/routingPattern';
import { defaultSubscriptionName, maxDefaultNameLength, selection, SubscriptionNames } from './subscriptionName';

/** A small seeded generator (mulberry32), so a failure names a pattern that can be replayed. */
const random = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

// Characters that used to fold together (`*`/`any`, `#`/`all`, every run of punctuation to `.`,
// every non-ASCII character to nothing), the escape character itself, hex digits and upper case.
const alphabet = ['a', 'n', 'y', 'l', 'f', '5', '3', 'e', '_', '-', ':', '/', '+', 'é', '日', '本', 'A', '~', '%'];
const fixedWords = ['*', '#', 'any', 'all', '_any', '_all', '_5f', '_3a', '_c3_a9', 'filter-0', '_filter-0', 'long-0', '_long-0'];

const randomPattern = (next: () => number): string => {
  const words = Array.from({ length: 1 + Math.floor(next() * 4) }, () => {
    if (next() < 0.35) return fixedWords[Math.floor(next() * fixedWords.length)]!;
    return Array.from({ length: 1 + Math.floor(next() * 4) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  });
  return words.join('.');
};

describe('defaultSubscriptionName', () => {
  it.each([
    ['task.created', 'task.created'],
    ['task.*', 'task._any'],
    ['task.#', 'task._all'],
    ['#', '_all'],
    ['agent.*.memory', 'agent._any.memory'],
    ['task.any', 'task.any'],
    ['task.a:b', 'task.a_3ab'],
    ['task.a_b', 'task.a_5fb'],
    ['task.é', 'task._c3_a9'],
    ['task.Created', 'task._43reated'],
  ])('names %s %s', (pattern, name) => {
    expect(defaultSubscriptionName(pattern)).toBe(name);
  });

  it.each([
    ['task.*', 'task.any'],
    ['task.#', 'task.all'],
    ['task.a:b', 'task.a.b'],
    ['task.a:b', 'task.a/b'],
    ['task.é', 'task.日本'],
    ['task.*', 'task._any'],
    ['task.a_3ab', 'task.a:b'],
  ])('keeps %s and %s apart (the first five once shared a name, and so a consumer group)', (a, b) => {
    expect(defaultSubscriptionName(a)).not.toBe(defaultSubscriptionName(b));
  });

  it('gives 20,000 random and adversarial patterns, with and without filters, 20,000 distinct names of [a-z0-9._-] within the length limit', () => {
    const next = random(20261130);
    const patterns = new Set<string>();
    while (patterns.size < 10_000) {
      const pattern = randomPattern(next);
      try {
        parsePattern(pattern);
        patterns.add(pattern);
      } catch {
        // Not a pattern subscribe would accept: it needs no name.
      }
    }
    const names = new Map<string, string>();
    const problems: string[] = [];
    for (const pattern of patterns) {
      for (const [label, filter] of [
        [pattern, undefined],
        [`${pattern} where`, { 'payload.priority': 'high' }],
      ] as const) {
        const name = defaultSubscriptionName(pattern, filter);
        if (!/^[a-z0-9._-]+$/.test(name) || name.length > maxDefaultNameLength) problems.push(`${JSON.stringify(label)} is named ${name}`);
        const earlier = names.get(name);
        if (earlier !== undefined) problems.push(`${JSON.stringify(earlier)} and ${JSON.stringify(label)} are both named ${name}`);
        names.set(name, label);
      }
    }
    expect(problems).toEqual([]);
    expect(names.size).toBe(20_000);
  });

  it('keeps a pattern with a filter apart from a pattern whose last word looks like the filter suffix', () => {
    const filtered = defaultSubscriptionName('task.*', { 'payload.priority': { $gte: 'high' } });
    const suffix = filtered.split('.').pop()!;
    expect(filtered).toMatch(/^task\._any\._filter-[0-9a-f]{16}$/);
    expect(defaultSubscriptionName(`task.*.${suffix}`)).not.toBe(filtered);
    expect(defaultSubscriptionName(`task.*.${suffix.slice(1)}`)).not.toBe(filtered);
  });

  it('names a filter by its content, whatever the order of its keys', () => {
    const a = defaultSubscriptionName('task.*', { 'payload.priority': 'high', 'payload.domain': 'financial' });
    const b = defaultSubscriptionName('task.*', { 'payload.domain': 'financial', 'payload.priority': 'high' });
    const c = defaultSubscriptionName('task.*', { 'payload.domain': 'legal', 'payload.priority': 'high' });
    expect(a).toBe(b);
    expect(c).not.toBe(a);
  });

  it('shortens a long name to the limit, keeping its head readable and long names apart', () => {
    const long = (last: string) => `task.${'assigned-to-an-agent-with-a-long-name.'.repeat(8)}${last}`;
    const [x, y] = [defaultSubscriptionName(long('x')), defaultSubscriptionName(long('y'))];
    expect(x.length).toBe(maxDefaultNameLength);
    expect(x.startsWith('task.assigned-to-an-agent')).toBe(true);
    expect(x).toMatch(/\._long-[0-9a-f]{16}$/);
    expect(x).not.toBe(y);
  });
});

describe('SubscriptionNames', () => {
  const sub = (name: string, pattern: string, filter?: Record<string, unknown>) => ({ name, pattern: { source: pattern }, selects: selection(pattern, filter) });

  it('lets a name be taken again for the same pattern and filter: another member of the same group', () => {
    const names = new SubscriptionNames();
    names.claim(sub('workers', 'task.created'));
    expect(() => names.claim(sub('workers', 'task.created'))).not.toThrow();
  });

  it('refuses the name for another pattern or filter, naming both patterns', () => {
    const names = new SubscriptionNames();
    names.claim(sub('workers', 'task.*'));
    const error = thrownBy(() => names.claim(sub('workers', 'agent.#')), AgentbusError);
    expect(error.code).toBe('SUBSCRIPTION_NAME_CONFLICT');
    expect(error.message).toContain('"workers"');
    expect(error.message).toContain('"task.*"');
    expect(error.message).toContain('"agent.#"');
    expect(thrownBy(() => names.claim(sub('workers', 'task.*', { source: 'x' })), AgentbusError).message).toContain('another filter');
  });

  it('frees a name when every holder has released it', () => {
    const names = new SubscriptionNames();
    const first = names.claim(sub('workers', 'task.*'));
    const second = names.claim(sub('workers', 'task.*'));
    first();
    first();
    expect(() => names.claim(sub('workers', 'agent.#'))).toThrow();
    second();
    expect(() => names.claim(sub('workers', 'agent.#'))).not.toThrow();
  });
});
