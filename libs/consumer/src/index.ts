export { PartitionConsumer } from './partitionConsumer';
export type { ConsumerHealthReport } from './partitionConsumer';
export { InvalidConsumerOptionsError } from './options';
export type { PartitionConsumerOptions } from './options';
export { postgresOffsets } from './positions';
export type { Position, PositionStore } from './positions';
export type { Assignment, BatchReport, ConsumedRecord, ConsumerTarget, Rejection } from './types';
// For a bulk loader that reads outside the engine (a rebuild's bulk phase) but must decode, refuse and dead-letter exactly as it does.
export { decodeBatch } from './decodeBatch';
export { sendToDeadLetters } from './deadLetter';
export { sendViolations } from './violations';
