import {
  EventTypeMismatchError,
  EventValidationError,
  NotAnAgentbusEventError,
  RoutingKeyInvalidError,
  RoutingKeyMismatchError,
  UnknownEventTypeError,
  routingKeyHeader,
  routingKeyProblem,
  type AgentEvent,
  type EventCategory,
} from '@agentbus/events';
import type { EventSchema } from '../catalog/schemaCatalog';

/**
 * What every event must satisfy beyond its Avro schema, checked the same way when the SDK writes
 * and when any consumer reads, whoever wrote the record. A few direct checks, no parsing library:
 * this runs on every record.
 */

type Envelope = Pick<AgentEvent, 'id' | 'source' | 'timestamp'> & {
  metadata: { version: string; correlationId?: string | null; causationId?: string | null };
};

const blank = /^\s*$/;
const schemaVersion = /^[1-9][0-9]*$/;

const quoted = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value));

/** Field-by-field problems with the envelope, each naming its path and the value found. */
export const envelopeIssues = (event: Envelope): { path: string; message: string }[] => {
  const issues: { path: string; message: string }[] = [];
  if (typeof event.id !== 'string' || blank.test(event.id)) issues.push({ path: 'id', message: `must be a non-blank string, got ${quoted(event.id)}` });
  if (typeof event.source !== 'string' || blank.test(event.source)) issues.push({ path: 'source', message: `must be a non-blank string, got ${quoted(event.source)}` });
  // 0 is what a producer that never set the field writes (a generated class's default).
  if (!Number.isSafeInteger(event.timestamp) || event.timestamp <= 0) {
    issues.push({ path: 'timestamp', message: `must be epoch milliseconds after 1970, got ${quoted(event.timestamp)}` });
  }
  const { metadata } = event;
  if (typeof metadata?.version !== 'string' || !schemaVersion.test(metadata.version)) {
    issues.push({ path: 'metadata.version', message: `must be a schema version such as "1", got ${quoted(metadata?.version)}` });
  }
  for (const field of ['correlationId', 'causationId'] as const) {
    const value = metadata?.[field];
    if (value !== undefined && value !== null && blank.test(value)) issues.push({ path: `metadata.${field}`, message: `must be absent or non-blank, got ${quoted(value)}` });
  }
  return issues;
};

export const assertEnvelope = (eventType: string, event: Envelope): void => {
  const issues = envelopeIssues(event);
  if (issues.length > 0) throw new EventValidationError(eventType, issues);
};

/**
 * Dotted words with no wildcard, starting with the event's category or the first word of its type
 * (`task.assigned.a-7`, `agent.a-7.memory` for memory.updated): subscriptions find topics by that
 * first word. Without a category (an event type the catalog does not know) only the words are checked.
 */
export const assertRoutingKey = (eventType: string, routingKey: string, category?: EventCategory): void => {
  if (routingKey === eventType && category !== undefined) return;
  const problem = typeof routingKey === 'string' ? routingKeyProblem(routingKey) : 'must be a string';
  if (problem !== undefined) throw new RoutingKeyInvalidError(eventType, routingKey, problem);
  if (category === undefined) return;
  const dot = eventType.indexOf('.');
  const typeWord = dot < 0 ? eventType : eventType.slice(0, dot);
  if (startsWithWord(routingKey, category) || startsWithWord(routingKey, typeWord)) return;
  throw new RoutingKeyInvalidError(eventType, routingKey, `must start with ${category === typeWord ? category : `${category} or ${typeWord}`}`);
};

const startsWithWord = (key: string, word: string): boolean => key.startsWith(word) && (key.length === word.length || key[word.length] === '.');

/**
 * Why a writer record with no local schema is refused: our namespace means a type this reader
 * does not know yet; any other record was never an agentbus event.
 */
export const unreadableRecord = (recordName: string, schemaId: number): UnknownEventTypeError | NotAnAgentbusEventError =>
  recordName.startsWith('agentbus.') ? new UnknownEventTypeError(recordName, schemaId) : new NotAnAgentbusEventError(recordName, schemaId);

/**
 * Everything a consumer checks on a decoded event before any handler sees it, cheapest and most
 * fundamental first: the type belongs to the writer's record, the envelope is sound, the routing key
 * is valid, and the routing-key header (which consumers route on without decoding) agrees with it.
 */
export const assertReadable = (schema: EventSchema, event: AgentEvent, record: { schemaId: number; routingKeyHeader?: string }): void => {
  if (event.type !== schema.eventType) throw new EventTypeMismatchError(event.type, schema.recordName, record.schemaId, schema.eventType);
  assertEnvelope(event.type, event);
  assertRoutingKey(event.type, event.routingKey, schema.category);
  if (record.routingKeyHeader !== undefined && record.routingKeyHeader !== event.routingKey) {
    throw new RoutingKeyMismatchError(event.type, event.routingKey, routingKeyHeader, record.routingKeyHeader);
  }
};
