export type { AgentEvent, EventMetadata } from './agentEvent';
export { createEvent, causedBy } from './createEvent';
export type { NewEvent, EventClock } from './createEvent';
export { newEventId } from './ids';
export { eventCategories, deadLetterTopicSuffix, topicName } from './topics';
export type { EventCategory } from './topics';
export { dottedWordsProblem, routingKeyProblem, routingKeyHeader } from './routingKey';
