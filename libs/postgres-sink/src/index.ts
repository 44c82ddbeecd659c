export { createDatabase, DatabaseUnavailableError, isRetriableDatabaseError, mapDatabaseError, assertIdentifier } from './database';
export type { DatabaseSettings } from './database';
export { createOffsetsTable, readOffsets, writeOffsets, offsetsTable, offsetKey } from './offsets';
export type { StoredOffsets } from './offsets';
export { TransactionalSink } from './transactionalSink';
export type { SinkRecord, SinkTarget, Rejection, BatchReport, TransactionalSinkOptions } from './transactionalSink';
