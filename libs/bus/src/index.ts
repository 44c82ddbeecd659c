export type {
  EventBus,
  EventHandler,
  HandlerContext,
  PublishInput,
  PublishOptions,
  SubscribeOptions,
  Subscription,
  SubscriptionMode,
  SubscriptionSpec,
  CloseOptions,
} from './eventBus';
export { InvalidPatternError, InvalidFilterError, EventTooLargeError, BusClosedError, SubscriptionNameConflictError, InvalidVerificationError, BusErrorCodes } from './errors';
export { parsePattern, parseRoutingKey } from './routing/routingPattern';
export type { RoutingPattern } from './routing/routingPattern';
export { compileFilter } from './routing/contentFilter';
export type { ContentFilter } from './routing/contentFilter';
export { enumPathsOf } from './routing/enumPaths';
export { routesFromCatalog } from './routing/routes';
export type { Routes } from './routing/routes';
export { InFlightGate } from './backpressure/inFlightGate';
export { backoffDelay, defaultRetryPolicy } from '@agentbus/retry';
export type { RetryPolicy } from '@agentbus/retry';
export { newTraceparent, childTraceparent, traceIdOf } from './context/traceparent';
export { entityKey, prepareEvent } from './publishing';
export { InMemoryEventBus } from './inMemory/inMemoryBus';
export type { InMemoryBusOptions, InMemoryDeadLetter } from './inMemory/inMemoryBus';
export { KafkaEventBus, defaultMaxEventBytes } from './kafka/kafkaEventBus';
export type { KafkaEventBusOptions } from './kafka/kafkaEventBus';
export { createKafkaEventBus } from './kafka/createKafkaEventBus';
export type { KafkaEventBusSettings } from './kafka/createKafkaEventBus';
export { DeadLetterQueue, parseDeadLetter, deadLetterFacts, deadLetterMessage, sourceOf } from './kafka/deadLetters';
export type { DeadLetter } from './kafka/deadLetters';
export { Headers, DeadLetterHeaders, republishedFromHeader } from './kafka/headers';
export { decodeRecord } from './kafka/decodeRecord';
export type { DecodeWaiting, DecodeIdentity } from './kafka/decodeRecord';
export { RecordVerifier, assertVerificationMode, refusedEventOf } from './identity/recordVerifier';
export type { RecordVerifierOptions, RefusedEvent, SignedRecord } from './identity/recordVerifier';
export { violationFor } from './identity/violations';
export type { RefusedRecord } from './identity/violations';
export { asSigner, signHeaders, encodeSigned } from './identity/signedMessage';
export { PartitionSigner } from './identity/partitionSigner';
export { closeOnSignals } from './shutdown';
export { EventDrivenAgent } from './agents/eventDrivenAgent';
export type { TaskOutcome, TaskAssignedEvent } from './agents/eventDrivenAgent';
export { startPresence } from './agents/presence';
export type { Presence, PresenceOptions } from './agents/presence';
export { presenceDirectory, PresenceErrorCodes } from './agents/presenceDirectory';
export type { PresenceDirectory, DiscoveredAgent } from './agents/presenceDirectory';
