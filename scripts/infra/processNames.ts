import type { PartName } from './state';

/** Start order: the registry and services need Postgres and Kafka first. */
export const processes: readonly PartName[] = ['postgres', 'kafka', 'registry'];
