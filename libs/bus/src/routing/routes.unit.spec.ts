import { loadSchemaCatalog } from '@agentbus/codec';
import { AgentbusError } from '@agentbus/events';
import { parsePattern } from './routingPattern';
import { routesFromCatalog } from './routes';
import { thrownBy } from '@agentbus/testing';

const routes = routesFromCatalog(loadSchemaCatalog());
const allCategories = ['agent', 'data', 'decision', 'saga', 'system', 'task', 'trust'];

const thrown = (fn: () => unknown): AgentbusError => thrownBy(fn, AgentbusError);

describe('routesFromCatalog', () => {
  it('knows every category that has a schema', () => {
    expect([...routes.categories].sort()).toEqual(allCategories);
  });

  describe('categoriesFor', () => {
    it.each([
      ['task.*', ['task']],
      ['task.#', ['task']],
      ['agent.*.memory', ['agent']],
      // memory.updated lives on the agent topic although its key does not start with "agent".
      ['memory.*', ['agent']],
      ['#', allCategories],
      ['*.created', allCategories],
    ])('%s -> %j', (pattern, expected) => {
      expect(routes.categoriesFor(parsePattern(pattern)).sort()).toEqual(expected);
    });

    it('refuses a pattern whose first word no key can start with, listing the known first words', () => {
      const error = thrown(() => routes.categoriesFor(parsePattern('foo.bar')));
      expect(error.code).toBe('INVALID_ROUTING_PATTERN');
      expect(error.message).toContain('"foo"');
      expect(error.message).toMatch(/keys start with one of: .*\bagent\b.*\btask\b/);
    });
  });

  describe('assertRoutingKey', () => {
    it.each([
      ['task.created', 'task.created'],
      ['task.created', 'task.created.urgent'],
      ['task.completed', 'task.completed.a-7'],
    ])('accepts %s with key %s', (type, key) => {
      expect(() => routes.assertRoutingKey(type, key)).not.toThrow();
    });

    it('refuses a key that starts outside the category or type, naming routingKey', () => {
      const error = thrown(() => routes.assertRoutingKey('task.created', 'agent.x'));
      expect(error.code).toBe('ROUTING_KEY_INVALID');
      expect(error.message).toContain('routingKey');
      expect(error.message).toContain('"agent.x"');
    });

    it.each(['task..created', 'task.created.', 'task.*'])('refuses the malformed key %j as ROUTING_KEY_INVALID', (key) => {
      const error = thrown(() => routes.assertRoutingKey('task.created', key));
      expect(error.code).toBe('ROUTING_KEY_INVALID');
      expect(error.message).toContain('routingKey');
    });
  });
});
