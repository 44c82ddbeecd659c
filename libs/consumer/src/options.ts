import type { ConsumerConfig, Kafka, PartitionAssigner } from 'kafkajs';
import type { Knex } from 'knex';
import { z } from 'zod';
import type { RecordVerifier } from '@agentbus/bus';
import type { AvroEventCodec } from '@agentbus/codec';
import type { SigningKey } from '@agentbus/identity';
import { AgentbusError } from '@agentbus/events';
import type { Logger } from '@agentbus/logger';
import { defaultRetryPolicy, type RetryPolicy } from '@agentbus/retry';
import type { PositionStore } from './positions';
import type { Assignment, BatchReport, ConsumedRecord, ConsumerTarget } from './types';

export interface PartitionConsumerOptions<Context = void> {
  kafka: Kafka;
  codec: AvroEventCodec;
  db: Knex;
  /** For error messages: where Postgres was expected. */
  databaseUrl: string;
  /** Names the positions rows, the dead letters' service and the logs; a rebuild writes the same name so the live consumer continues from it. */
  name: string;
  /** Kafka consumer group; defaults to `name`. */
  groupId?: string;
  topics: readonly string[];
  target: ConsumerTarget<Context>;
  deadLetterTopic: string;
  logger: Logger;
  /** Where positions are kept; defaults to the `consumer_offsets` table of the target's schema. */
  positions?: PositionStore;
  /**
   * `dead-letter` (default) sends a record that cannot be decoded to the dead-letter topic with the
   * error's code and message; `keep` hands it to the target with its `decodeError` (the audit trail stores it raw).
   */
  undecodable?: 'dead-letter' | 'keep';
  /** Records the target needs; the others are passed over undecoded, their offsets still advancing. */
  select?: (record: ConsumedRecord) => boolean;
  /** Backoff while the registry or the database is unavailable (both are waited out, heartbeating). */
  retry?: Partial<RetryPolicy>;
  consumerConfig?: Partial<Pick<ConsumerConfig, 'sessionTimeout' | 'heartbeatInterval' | 'maxWaitTimeInMs' | 'maxBytesPerPartition' | 'rebalanceTimeout'>>;
  partitionAssigners?: PartitionAssigner[];
  /**
   * Batches of different partitions applied at once, each in its own transaction (default 1). The
   * pool needs this many connections plus one. Targets must not depend on the order of
   * partitions, which Kafka never guaranteed anyway.
   */
  partitionsConcurrently?: number;
  /**
   * Group commit: the batches of different partitions that kafkajs hands over while a transaction
   * runs are applied together in the next one, one COMMIT for all, one transaction at a time, up to
   * `partitionsConcurrently` batches each. Many partitions with a few records each then cost a few
   * transactions, not one each (the projector's latency). Only for targets whose `apply` and
   * `prepare` take records of several partitions in one call.
   */
  groupCommit?: boolean;
  /**
   * With `groupCommit`: a batch's handler returns to kafkajs as soon as its transaction begins, so
   * the next fetch overlaps the transaction (its offset is resolved then; a failed transaction seeks
   * back to Postgres' positions). For targets whose work has no effect beyond Postgres until
   * committed, like read models.
   */
  pipeline?: boolean;
  /**
   * `false` lets a commit return before its WAL is flushed. A crash may then lose the last few
   * commits, rows and positions together, so they are simply applied again from Kafka: right for a
   * rebuild, whose output is disposable until the swap.
   */
  synchronousCommit?: boolean;
  /** Per `topic/partition`: the first offset not to apply (a rebuild up to a point in time). */
  stopAt?: ReadonlyMap<string, bigint>;
  /** Each time the group assigns this member its partitions, before any batch of them is applied. */
  onAssigned?: (assignment: Assignment) => void;
  onBatch?: (report: BatchReport) => void;
  /** Each database failure that will be retried. */
  onDatabaseError?: (error: unknown) => void;
  /**
   * Who wrote each record: in `require`, a record refused for it (EVENT_UNSIGNED,
   * SIGNATURE_INVALID, SOURCE_MISMATCH, NOT_AUTHORIZED) is dead-lettered and reported as
   * violation.detected, signed with `signingKey` when given.
   */
  identity?: { verifier: RecordVerifier; signingKey?: SigningKey };
}

const positiveInt = z.number().int().positive();
const scalars = z.object({
  databaseUrl: z.string().min(1),
  name: z.string().min(1),
  groupId: z.string().min(1).optional(),
  topics: z.array(z.string().min(1)).min(1, 'needs at least one topic'),
  deadLetterTopic: z.string().min(1),
  undecodable: z.enum(['dead-letter', 'keep']).optional(),
  retry: z.object({ maxAttempts: positiveInt, initialDelayMs: positiveInt, maxDelayMs: positiveInt, multiplier: z.number().min(1) }).partial().optional(),
  consumerConfig: z.object({ sessionTimeout: positiveInt, heartbeatInterval: positiveInt, maxWaitTimeInMs: z.number().int().min(0), maxBytesPerPartition: positiveInt, rebalanceTimeout: positiveInt }).partial().optional(),
  partitionsConcurrently: positiveInt.optional(),
  synchronousCommit: z.boolean().optional(),
  groupCommit: z.boolean().optional(),
  pipeline: z.boolean().optional(),
});
const required = ['kafka', 'codec', 'db', 'target', 'logger'] as const;

export class InvalidConsumerOptionsError extends AgentbusError {
  constructor(readonly issues: readonly string[]) {
    super('CONSUMER_OPTIONS_INVALID', `Invalid partition consumer options: ${issues.join('; ')}`, { context: { issues } });
    this.name = 'InvalidConsumerOptionsError';
  }
}

export type ResolvedOptions<Context> = PartitionConsumerOptions<Context> & { retry: RetryPolicy; groupId: string; undecodable: 'dead-letter' | 'keep'; partitionsConcurrently: number };

/** Checked when the consumer is built, so a wrong option fails at start-up with the field named, not at the first batch. */
export const resolveOptions = <Context>(options: PartitionConsumerOptions<Context>): ResolvedOptions<Context> => {
  const issues = required.filter((k) => options[k] === undefined || options[k] === null).map((k) => `${k}: is required`);
  const parsed = scalars.safeParse(options);
  if (!parsed.success) issues.push(...parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`));
  const { sessionTimeout, heartbeatInterval } = options.consumerConfig ?? {};
  if (sessionTimeout !== undefined && heartbeatInterval !== undefined && heartbeatInterval >= sessionTimeout) issues.push('consumerConfig.heartbeatInterval: must be below consumerConfig.sessionTimeout');
  if (issues.length > 0) throw new InvalidConsumerOptionsError(issues);
  return {
    ...options,
    groupId: options.groupId ?? options.name,
    undecodable: options.undecodable ?? 'dead-letter',
    partitionsConcurrently: options.partitionsConcurrently ?? 1,
    retry: { ...defaultRetryPolicy, maxDelayMs: 5000, ...options.retry },
  };
};
