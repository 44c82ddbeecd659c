export type { AgentEvent, EventMetadata, NewEvent, EventClock, EventCategory } from './envelope';
export { createEvent, causedBy, newEventId, eventCategories, deadLetterTopicSuffix, topicName } from './envelope';
export type { AgentbusErrorOptions, ErrorContext, ErrorCode } from './errors';
export {
  AgentbusError,
  isAgentbusError,
  isRetriable,
  ErrorCodes,
  EventValidationError,
  EventDecodeError,
  isEventValidationError,
  isEventDecodeError,
} from './errors';
export * from './schemas';
