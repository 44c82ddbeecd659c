import type { EventCategory } from '@agentbus/events';

const pascal = (words: string): string =>
  words
    .split(/[._-]/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');

/** `task.created` in category task → `agentbus.task.TaskCreated`. */
export const eventRecordName = (category: EventCategory, eventType: string): string => `agentbus.${category}.${pascal(eventType)}`;

export const payloadRecordName = (category: EventCategory, eventType: string): string => `${eventRecordName(category, eventType)}Payload`;

/** TopicRecordNameStrategy: several event types share a topic, each with its own subject. */
export const subjectName = (topic: string, recordFullName: string): string => `${topic}-${recordFullName}`;
