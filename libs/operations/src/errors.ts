import { AgentbusError } from '@agentbus/events';

export const OperationsErrorCodes = { auditTrailMissing: 'AUDIT_TRAIL_MISSING', auditTopicUnknown: 'AUDIT_TOPIC_UNKNOWN' } as const;

/** What an operator asked about is not in the database: no audit trail yet, or no records of that topic. */
export class NotRecordedError extends AgentbusError {
  constructor(code: (typeof OperationsErrorCodes)[keyof typeof OperationsErrorCodes], message: string) {
    super(code, message);
    this.name = 'NotRecordedError';
  }
}

export const isNotRecordedError = (error: unknown): error is NotRecordedError =>
  error instanceof AgentbusError && (Object.values(OperationsErrorCodes) as string[]).includes(error.code);
