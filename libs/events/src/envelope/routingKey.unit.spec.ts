import { dottedWordsProblem, routingKeyProblem } from './routingKey';

describe('routingKeyProblem', () => {
  it.each(['task.created', 'task', 'task.assigned.a-7', 'agent.did:agent:x.memory'])('accepts %j', (key) => {
    expect(routingKeyProblem(key)).toBeUndefined();
  });

  it.each([
    ['', 'routing key is empty'],
    ['.task', 'empty word at position 1'],
    ['task.', 'empty word at position 2'],
    ['task..created.#', 'empty word at position 2'],
    ['task.created.#', 'word "#" contains a wildcard; routing keys are literal'],
    ['task.cre*ted', 'word "cre*ted" contains a wildcard'],
    ['task.\u00a0x', 'contains whitespace'],
    ['task.created\n', 'contains whitespace'],
  ])('refuses %j: %s', (key, reason) => {
    expect(routingKeyProblem(key)).toContain(reason);
  });
});

describe('dottedWordsProblem for patterns', () => {
  it('allows * and # as whole words only', () => {
    expect(dottedWordsProblem('task.*.#', 'pattern', true)).toBeUndefined();
    expect(dottedWordsProblem('task.#x', 'pattern', true)).toBe('word "#x" mixes a wildcard with text; * and # must be whole words');
  });
});
