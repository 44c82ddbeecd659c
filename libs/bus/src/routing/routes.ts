import { assertRoutingKey, type SchemaCatalog } from '@agentbus/codec';
import type { EventCategory } from '@agentbus/events';
import { InvalidPatternError } from '../errors';
import type { RoutingPattern } from './routingPattern';

/**
 * Which Kafka topic (category) a routing key can live on. A routing key starts with its
 * category (`agent.a-7.memory`) or with its event type's first word (`memory.updated`,
 * `task.assigned.a-7`), so a pattern whose first word is literal reads only the topics where
 * that word can start a key.
 */
export interface Routes {
  readonly categories: readonly EventCategory[];
  categoriesFor(pattern: RoutingPattern): EventCategory[];
  assertRoutingKey(eventType: string, routingKey: string): void;
}

export const routesFromCatalog = (catalog: SchemaCatalog): Routes => {
  const leadingWords = new Map<EventCategory, Set<string>>();
  const categoryOf = new Map<string, EventCategory>();
  for (const type of catalog.eventTypes()) {
    const { category } = catalog.latest(type);
    categoryOf.set(type, category);
    const words = leadingWords.get(category) ?? new Set<string>([category]);
    words.add(type.split('.')[0]!);
    leadingWords.set(category, words);
  }
  const categories = [...leadingWords.keys()];
  return {
    categories,
    categoriesFor: (pattern) => {
      const first = pattern.words[0]!;
      if (first === '*' || first === '#') return [...categories];
      const found = categories.filter((c) => leadingWords.get(c)!.has(first));
      if (found.length === 0) {
        const known = [...new Set([...leadingWords.values()].flatMap((s) => [...s]))].sort().join(', ');
        throw new InvalidPatternError(pattern.source, `no event's routing key can start with "${first}"; keys start with one of: ${known}`);
      }
      return found;
    },
    // The codec's rule, so a key the bus publishes is one every consumer will read.
    assertRoutingKey: (eventType, routingKey) => assertRoutingKey(eventType, routingKey, categoryOf.get(eventType)),
  };
};
