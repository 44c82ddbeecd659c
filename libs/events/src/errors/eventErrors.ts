import { AgentbusError } from './agentbusError';
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

export const isEventValidationError = (e: unknown): e is EventValidationError =>
  e instanceof AgentbusError && e.code === ErrorCodes.eventInvalid;
export const isEventDecodeError = (e: unknown): e is EventDecodeError =>
  e instanceof AgentbusError && e.code === ErrorCodes.eventUndecodable;
