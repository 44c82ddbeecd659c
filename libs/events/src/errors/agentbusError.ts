export type ErrorContext = Record<string, unknown>;

export interface AgentbusErrorOptions {
  retriable?: boolean;
  cause?: unknown;
  context?: ErrorContext;
}

/**
 * Base of every error agentbus raises. Callers branch on `code` (stable, documented) and
 * `retriable`, never on message text or `instanceof` across packages.
 */
export class AgentbusError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(code: string, message: string, options: AgentbusErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgentbusError';
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
  }

  // Enumerable fields so pino and JSON.stringify show code, retriable and context.
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      retriable: this.retriable,
      context: this.context,
      ...(this.cause === undefined ? {} : { cause: describeCause(this.cause) }),
    };
  }
}

const describeCause = (cause: unknown): unknown =>
  cause instanceof Error ? { name: cause.name, message: cause.message } : cause;

export const isAgentbusError = (error: unknown, code?: string): error is AgentbusError =>
  typeof error === 'object' &&
  error !== null &&
  typeof (error as { code?: unknown }).code === 'string' &&
  typeof (error as { retriable?: unknown }).retriable === 'boolean' &&
  (code === undefined || (error as { code: string }).code === code);

export const isRetriable = (error: unknown): boolean => isAgentbusError(error) && error.retriable;
