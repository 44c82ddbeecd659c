import { AsyncLocalStorage } from 'node:async_hooks';
import { causedBy, type AgentEvent } from '@agentbus/events';

interface HandlingContext {
  event: AgentEvent;
  traceparent: string;
}

const storage = new AsyncLocalStorage<HandlingContext>();

/** Runs a handler so that anything it publishes is recorded as caused by `event`. */
export const runHandling = <T>(event: AgentEvent, traceparent: string, fn: () => T): T => storage.run({ event, traceparent }, fn);

export const currentHandling = (): HandlingContext | undefined => storage.getStore();

/** Correlation for a new event: explicit values win; otherwise inherited from the event being handled. */
export const inheritedCorrelation = (explicit: { correlationId?: string | undefined; causationId?: string | undefined }): { correlationId?: string; causationId?: string } => {
  const handling = storage.getStore();
  const inherited = handling ? causedBy(handling.event) : undefined;
  const correlationId = explicit.correlationId ?? inherited?.correlationId;
  const causationId = explicit.causationId ?? inherited?.causationId;
  return { ...(correlationId ? { correlationId } : {}), ...(causationId ? { causationId } : {}) };
};
