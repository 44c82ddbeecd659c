import { AgentbusError } from '@agentbus/events';
import { parsePattern, parseRoutingKey } from './routingPattern';
import { thrownBy } from '@agentbus/testing';

const thrown = (fn: () => unknown): AgentbusError => thrownBy(fn, AgentbusError);

describe('parsePattern(pattern).matches(key)', () => {
  it.each([
    ['task.created', 'task.created', true],
    ['task.created', 'task.completed', false],
    ['task.created', 'task', false],
    ['task.created', 'task.created.x', false],
    ['task.*', 'task.created', true],
    ['task.*', 'task', false],
    ['task.*', 'task.assigned.a1', false],
    ['task.#', 'task', true],
    ['task.#', 'task.created', true],
    ['task.#', 'task.assigned.a1', true],
    ['task.#', 'agent.created', false],
    ['#', 'task', true],
    ['#', 'task.assigned.a1', true],
    ['a.#.b', 'a.b', true],
    ['a.#.b', 'a.x.b', true],
    ['a.#.b', 'a.x.y.b', true],
    ['a.#.b', 'a.b.c', false],
    ['a.#.b', 'b', false],
    ['#.b', 'b', true],
    ['#.b', 'x.y.b', true],
    ['#.b', 'b.x', false],
    ['a.#', 'a', true],
    ['a.#', 'a.x.y', true],
    ['a.#', 'b.a', false],
    ['*.*', 'a.b', true],
    ['*.*', 'a', false],
    ['*.*', 'a.b.c', false],
    ['#.#', 'a', true],
    ['#.#', 'a.b.c', true],
    ['*.#.*', 'a', false],
    ['*.#.*', 'a.b', true],
    ['*.#.*', 'a.b.c.d', true],
    ['agent.*.memory', 'agent.a7.memory', true],
    ['agent.*.memory', 'agent.memory', false],
    ['agent.*.memory', 'agent.a7.b.memory', false],
  ])('%s vs %s -> %s', (pattern, key, expected) => {
    expect(parsePattern(pattern).matches(key)).toBe(expected);
  });

  it('keeps the source and its words', () => {
    expect(parsePattern('task.#')).toMatchObject({ source: 'task.#', words: ['task', '#'] });
  });

  it.each([
    ['', 'pattern is empty'],
    ['task..created', 'empty word at position 2'],
    ['.task', 'empty word at position 1'],
    ['task.', 'empty word at position 2'],
    ['ta*sk', '"ta*sk" mixes a wildcard with text'],
    ['task.#x', '"#x" mixes a wildcard with text'],
    ['task created', 'word "task created" contains whitespace'],
  ])('refuses %j: %s', (pattern, reason) => {
    const error = thrown(() => parsePattern(pattern));
    expect(error.code).toBe('INVALID_ROUTING_PATTERN');
    expect(error.message).toContain(reason);
  });
});

describe('parseRoutingKey', () => {
  it('splits a key into its words', () => {
    expect(parseRoutingKey('task.assigned.a-7')).toEqual(['task', 'assigned', 'a-7']);
  });

  it.each([
    ['task.*', 'word "*" contains a wildcard; routing keys are literal'],
    ['#', 'word "#" contains a wildcard; routing keys are literal'],
    ['task.as signed', 'word "as signed" contains whitespace'],
    ['task..created', 'empty word at position 2'],
    ['', 'routing key is empty'],
  ])('refuses %j: %s', (key, reason) => {
    const error = thrown(() => parseRoutingKey(key));
    expect(error.code).toBe('INVALID_ROUTING_PATTERN');
    expect(error.message).toContain(reason);
  });
});
