export { createDatabase, assertDatabaseReachable, DatabaseUnavailableError, isRetriableDatabaseError, isDatabaseSetupError, mapDatabaseError, assertIdentifier, runMigrations } from './database';
export type { DatabaseSettings, SchemaMigration } from './database';
export { createOffsetsTable, readOffsets, writeOffsets, offsetsTable, offsetKey } from './offsets';
export type { StoredOffsets, ReadOffsetsOptions } from './offsets';
export { bulkInsert } from './bulkInsert';
export type { BulkInsert, BulkColumnType } from './bulkInsert';
export { copyInto, copyFromStdin, copyField, copyLine, epochMsToTimestamptz } from './copyRows';
export type { CopyTarget, CopyWriter } from './copyRows';
