import { AgentbusError, ErrorCodes } from '@agentbus/events';

export class SchemaIncompatibleError extends AgentbusError {
  constructor(
    readonly subject: string,
    readonly reason: string,
    cause?: unknown,
  ) {
    super(ErrorCodes.schemaIncompatible, `Schema for subject "${subject}" was refused as incompatible: ${reason}`, {
      cause,
      context: { subject, reason },
    });
    this.name = 'SchemaIncompatibleError';
  }
}

export class RegistryUnavailableError extends AgentbusError {
  constructor(
    readonly url: string,
    reason: string,
    cause?: unknown,
  ) {
    super(ErrorCodes.registryUnavailable, `Schema registry at ${url} is unavailable: ${reason}. Is it running? (npm run infra -- status)`, {
      retriable: true,
      cause,
      context: { url, reason },
    });
    this.name = 'RegistryUnavailableError';
  }
}

export class SchemaNotFoundError extends AgentbusError {
  constructor(what: string, cause?: unknown) {
    super(ErrorCodes.schemaNotFound, `Schema not found in the registry: ${what}`, { cause, context: { what } });
    this.name = 'SchemaNotFoundError';
  }
}

export const isSchemaIncompatibleError = (e: unknown): e is SchemaIncompatibleError =>
  e instanceof AgentbusError && e.code === ErrorCodes.schemaIncompatible;
export const isRegistryUnavailableError = (e: unknown): e is RegistryUnavailableError =>
  e instanceof AgentbusError && e.code === ErrorCodes.registryUnavailable;
export const isSchemaNotFoundError = (e: unknown): e is SchemaNotFoundError =>
  e instanceof AgentbusError && e.code === ErrorCodes.schemaNotFound;
