export { integrationConfig, uniquePrefix, createTestTopics } from './integration';
export type { TestTopics } from './integration';
export { localScramCredentials } from './scram';
export type { LocalScramCredentials } from './scram';
export { createTestDatabase } from './database';
export type { TestDatabase } from './database';
export { spawnService, restartPostgres } from './faults';
export type { ServiceProcess } from './faults';
