import { AgentbusError } from '@agentbus/events';

export const BusErrorCodes = {
  invalidPattern: 'INVALID_ROUTING_PATTERN',
  invalidFilter: 'INVALID_CONTENT_FILTER',
  eventTooLarge: 'EVENT_TOO_LARGE',
  busClosed: 'BUS_CLOSED',
  subscriptionNameConflict: 'SUBSCRIPTION_NAME_CONFLICT',
  invalidVerification: 'INVALID_VERIFICATION',
} as const;

/** A subscription pattern or routing key that breaks the dotted-word rules. Refused at subscribe/publish. */
export class InvalidPatternError extends AgentbusError {
  constructor(
    readonly pattern: string,
    reason: string,
  ) {
    super(BusErrorCodes.invalidPattern, `Invalid routing pattern ${JSON.stringify(pattern)}: ${reason}`, { context: { pattern, reason } });
    this.name = 'InvalidPatternError';
  }
}

export class InvalidFilterError extends AgentbusError {
  constructor(
    readonly path: string,
    reason: string,
  ) {
    super(BusErrorCodes.invalidFilter, `Invalid content filter at ${path || '(root)'}: ${reason}`, { context: { path, reason } });
    this.name = 'InvalidFilterError';
  }
}

export class EventTooLargeError extends AgentbusError {
  constructor(
    readonly eventType: string,
    readonly size: number,
    readonly limit: number,
  ) {
    super(BusErrorCodes.eventTooLarge, `Event ${eventType} is ${size} bytes encoded, above the limit of ${limit} bytes; nothing was sent`, {
      context: { eventType, size, limit },
    });
    this.name = 'EventTooLargeError';
  }
}

export class BusClosedError extends AgentbusError {
  constructor(operation: string) {
    super(BusErrorCodes.busClosed, `The bus is closed (or closing); cannot ${operation}`);
    this.name = 'BusClosedError';
  }
}

/** Two subscriptions of one bus under one name that select different events: they would share a consumer group. */
export class SubscriptionNameConflictError extends AgentbusError {
  constructor(
    readonly subscription: string,
    readonly existingPattern: string,
    readonly pattern: string,
  ) {
    super(
      BusErrorCodes.subscriptionNameConflict,
      `Subscription name ${JSON.stringify(subscription)} is already used by ${JSON.stringify(existingPattern)} with ${existingPattern === pattern ? 'another filter' : 'another pattern'}; ` +
        `${JSON.stringify(pattern)} would share its consumer group and take its events. Give one of them another name.`,
      { context: { subscription, existingPattern, pattern } },
    );
    this.name = 'SubscriptionNameConflictError';
  }
}

/** A verify option that cannot work: an unknown mode, or warn/require with no agent policy to check against. */
export class InvalidVerificationError extends AgentbusError {
  constructor(
    readonly option: string,
    reason: string,
  ) {
    super(BusErrorCodes.invalidVerification, `Invalid ${option}: ${reason}`, { context: { option, reason } });
    this.name = 'InvalidVerificationError';
  }
}
