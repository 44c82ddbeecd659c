import { AsyncLocalStorage } from 'node:async_hooks';
import { causedBy, type AgentEvent } from '@agentbus/events';
import { childTraceparent } from './traceparent';

interface HandlingContext {
  readonly event: AgentEvent;
  readonly traceparent: string;
}

/** One handling of a consumed event. Its span id is drawn when first asked for (a publish, the handler's context), not per event. */
export class Handling implements HandlingContext {
  private span: string | undefined;

  constructor(
    readonly event: AgentEvent,
    /** The record's own traceparent header, if any. */
    private readonly parent: string | undefined,
  ) {}

  get traceparent(): string {
    return (this.span ??= childTraceparent(this.parent));
  }
}

const storage = new AsyncLocalStorage<HandlingContext>();

/** Runs a handler so that anything it publishes is recorded as caused by `event`. */
export const runHandling = <T>(event: AgentEvent, traceparent: string, fn: () => T): T => storage.run({ event, traceparent }, fn);

/** `runHandling` for a prepared handling; the arguments are passed through, so no closure is made per event. */
export const runHandlingOf = <A extends unknown[], T>(handling: HandlingContext, fn: (...args: A) => T, ...args: A): T => storage.run(handling, fn, ...args);

export const currentHandling = (): HandlingContext | undefined => storage.getStore();

/** Correlation for a new event: explicit values win; otherwise inherited from the event being handled. */
export const inheritedCorrelation = (explicit: { correlationId?: string | undefined; causationId?: string | undefined }): { correlationId?: string; causationId?: string } => {
  const handling = storage.getStore();
  const inherited = handling ? causedBy(handling.event) : undefined;
  const correlationId = explicit.correlationId ?? inherited?.correlationId;
  const causationId = explicit.causationId ?? inherited?.causationId;
  return { ...(correlationId ? { correlationId } : {}), ...(causationId ? { causationId } : {}) };
};
