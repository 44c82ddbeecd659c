import { AgentbusError, isAgentbusError } from './agentbusError';
import { ErrorCodes } from './codes';

/** An event that does not fit its schema or the envelope. Never sent; never retriable. */
export class EventValidationError extends AgentbusError {
  constructor(
    readonly eventType: string,
    readonly issues: readonly { path: string; message: string }[],
  ) {
    super(
      ErrorCodes.eventInvalid,
      `Invalid ${eventType || 'event'}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
      { context: { eventType, issues } },
    );
    this.name = 'EventValidationError';
  }
}

/** Bytes that cannot be turned back into an event: garbage, wrong magic byte, unknown schema id. */
export class EventDecodeError extends AgentbusError {
  constructor(reason: string, options: { cause?: unknown; schemaId?: number } = {}) {
    super(ErrorCodes.eventUndecodable, `Cannot decode event: ${reason}`, {
      cause: options.cause,
      context: { reason, ...(options.schemaId === undefined ? {} : { schemaId: options.schemaId }) },
    });
    this.name = 'EventDecodeError';
  }
}

/** The writer's record is one event type; the body's `type` field names another. */
export class EventTypeMismatchError extends AgentbusError {
  constructor(
    readonly eventType: string,
    readonly recordName: string,
    readonly schemaId: number,
    writtenType: string,
  ) {
    super(
      ErrorCodes.eventTypeMismatch,
      `Event type mismatch: type is ${JSON.stringify(eventType)}, but writer schema ${schemaId} is ${recordName}, the record of ${writtenType}`,
      { context: { eventType, recordName, schemaId, writtenType } },
    );
    this.name = 'EventTypeMismatchError';
  }
}

/** A record in the agentbus namespace that this reader's schema catalog does not hold (a newer producer's type). */
export class UnknownEventTypeError extends AgentbusError {
  constructor(
    readonly recordName: string,
    readonly schemaId: number,
  ) {
    super(
      ErrorCodes.eventTypeUnknown,
      `Unknown event type: writer schema ${schemaId} is ${recordName}, which this reader's schemas do not define; deploy the schema, then republish the dead letter`,
      { context: { recordName, schemaId } },
    );
    this.name = 'UnknownEventTypeError';
  }
}

/** A record registered under an event topic's subject whose schema is not an agentbus event at all. */
export class NotAnAgentbusEventError extends AgentbusError {
  constructor(
    readonly recordName: string,
    readonly schemaId: number,
  ) {
    super(ErrorCodes.notAnAgentbusEvent, `Not an agentbus event: writer schema ${schemaId} is ${recordName}, not an agentbus event record`, {
      context: { recordName, schemaId },
    });
    this.name = 'NotAnAgentbusEventError';
  }
}

/** A routing key that breaks the dotted-word rules or does not start with its event's category or type. */
export class RoutingKeyInvalidError extends AgentbusError {
  constructor(
    readonly eventType: string,
    readonly routingKey: string,
    reason: string,
  ) {
    super(ErrorCodes.routingKeyInvalid, `Invalid routingKey ${JSON.stringify(routingKey)} of ${eventType || 'event'}: ${reason}`, {
      context: { eventType, routingKey, reason },
    });
    this.name = 'RoutingKeyInvalidError';
  }
}

/** The routing-key header, which consumers route on without decoding, says something else than the body. */
export class RoutingKeyMismatchError extends AgentbusError {
  constructor(
    readonly eventType: string,
    readonly routingKey: string,
    readonly header: string,
    readonly headerValue: string,
  ) {
    super(
      ErrorCodes.routingKeyMismatch,
      `Routing key mismatch in ${eventType}: header ${header} is ${JSON.stringify(headerValue)}, but the body's routingKey is ${JSON.stringify(routingKey)}`,
      { context: { eventType, routingKey, header, headerValue } },
    );
    this.name = 'RoutingKeyMismatchError';
  }
}

export const isEventValidationError = (e: unknown): e is EventValidationError => isAgentbusError(e, ErrorCodes.eventInvalid);
export const isEventDecodeError = (e: unknown): e is EventDecodeError => isAgentbusError(e, ErrorCodes.eventUndecodable);
export const isEventTypeMismatchError = (e: unknown): e is EventTypeMismatchError => isAgentbusError(e, ErrorCodes.eventTypeMismatch);
export const isUnknownEventTypeError = (e: unknown): e is UnknownEventTypeError => isAgentbusError(e, ErrorCodes.eventTypeUnknown);
export const isNotAnAgentbusEventError = (e: unknown): e is NotAnAgentbusEventError => isAgentbusError(e, ErrorCodes.notAnAgentbusEvent);
export const isRoutingKeyInvalidError = (e: unknown): e is RoutingKeyInvalidError => isAgentbusError(e, ErrorCodes.routingKeyInvalid);
export const isRoutingKeyMismatchError = (e: unknown): e is RoutingKeyMismatchError => isAgentbusError(e, ErrorCodes.routingKeyMismatch);
