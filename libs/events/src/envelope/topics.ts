/**
 * One Kafka topic per event category. The category is the first word of the event type
 * (`task.created` → task), except for the few types the seed files under another category.
 */
export const eventCategories = ['task', 'agent', 'data', 'decision', 'trust', 'system', 'saga'] as const;
export type EventCategory = (typeof eventCategories)[number];

export const deadLetterTopicSuffix = 'dlq';

export const topicName = (prefix: string, category: EventCategory | typeof deadLetterTopicSuffix): string =>
  `${prefix}.${category}`;
