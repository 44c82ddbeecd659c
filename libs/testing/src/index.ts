export { integrationConfig, uniquePrefix, createTestTopics } from './integration';
export type { TestTopics } from './integration';
