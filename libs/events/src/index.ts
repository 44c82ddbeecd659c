export type { AgentEvent, EventMetadata, NewEvent, EventClock, EventCategory } from './envelope';
export {
  createEvent,
  causedBy,
  newEventId,
  eventCategories,
  deadLetterTopicSuffix,
  topicName,
  dottedWordsProblem,
  routingKeyProblem,
  routingKeyHeader,
} from './envelope';
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
  EventTypeMismatchError,
  UnknownEventTypeError,
  NotAnAgentbusEventError,
  RoutingKeyInvalidError,
  RoutingKeyMismatchError,
  isEventTypeMismatchError,
  isUnknownEventTypeError,
  isNotAnAgentbusEventError,
  isRoutingKeyInvalidError,
  isRoutingKeyMismatchError,
} from './errors';
export * from './schemas';
