export { PartitionConsumer } from './partitionConsumer';
export type { ConsumerHealthReport } from './partitionConsumer';
export { InvalidConsumerOptionsError } from './options';
export type { PartitionConsumerOptions } from './options';
export { postgresOffsets } from './positions';
export type { Position, PositionStore } from './positions';
export type { Assignment, BatchReport, ConsumedRecord, ConsumerTarget, Rejection } from './types';
