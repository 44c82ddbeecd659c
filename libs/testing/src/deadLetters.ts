import type { DeadLetter } from '@agentbus/bus';

/** An undecodable record's dead letter as DeadLetterQueue reads it, for tests of what lists, filters and prints them. */
export const sampleDeadLetter = (overrides: Partial<DeadLetter> = {}): DeadLetter => ({
  partition: 0,
  offset: '42',
  key: 'junk-0',
  value: Buffer.from('not avro'),
  headers: { 'agentbus-routing-key': 'task.created' },
  rawHeaders: { 'agentbus-routing-key': Buffer.from('task.created') },
  reason: 'Cannot decode event: wrong magic byte 110, expected 0',
  code: 'EVENT_UNDECODABLE',
  sourceTopic: 'agentbus.task',
  sourcePartition: 2,
  sourceOffset: '7',
  subscription: 'task.any',
  service: 'worker',
  attempts: 1,
  failedAt: Date.UTC(2026, 10, 24, 10),
  ...overrides,
});
