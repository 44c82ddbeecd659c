export { AgentbusError, isAgentbusError, isRetriable } from './agentbusError';
export type { AgentbusErrorOptions, ErrorContext } from './agentbusError';
export { ErrorCodes } from './codes';
export type { ErrorCode } from './codes';
export {
  EventValidationError,
  EventDecodeError,
  EventTypeMismatchError,
  UnknownEventTypeError,
  NotAnAgentbusEventError,
  RoutingKeyInvalidError,
  RoutingKeyMismatchError,
  isEventValidationError,
  isEventDecodeError,
  isEventTypeMismatchError,
  isUnknownEventTypeError,
  isNotAnAgentbusEventError,
  isRoutingKeyInvalidError,
  isRoutingKeyMismatchError,
} from './eventErrors';
