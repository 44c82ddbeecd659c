import type { KafkaMessage } from 'kafkajs';
import type { Knex } from 'knex';
import type { AgentEvent } from '@agentbus/events';

export interface ConsumedRecord {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Kafka's record timestamp, epoch ms. */
  timestamp: number;
  event?: AgentEvent;
  schemaId?: number;
  /** Why the record could not be decoded; only a target that keeps undecodable records sees it. */
  decodeError?: unknown;
  /** The record as fetched, bytes untouched: for a target that stores raw keys and headers (the audit trail). */
  message: KafkaMessage;
  /** The records fetched with it, in which a v4 member's carrier is: its dead letter carries it. */
  fetchedWith?: readonly KafkaMessage[];
}

export interface Rejection {
  record: ConsumedRecord;
  error: unknown;
}

/** What a service writes. Everything it does goes through `trx`, the transaction that also stores the positions. */
export interface ConsumerTarget<Context = void> {
  /** The schema this transaction writes into; read inside it, so a blue/green swap is seen at once. */
  schema(trx: Knex.Transaction): Promise<string>;
  /**
   * Before the batch's transaction: what the target reads from elsewhere (an agent directory), so
   * the transaction never waits on a second connection of the same pool.
   */
  prepare?(records: ConsumedRecord[]): Promise<Context>;
  /** Applies records; returns those it refuses, which go to the dead-letter topic with their reasons. */
  apply(trx: Knex.Transaction, schema: string, records: ConsumedRecord[], context: Context): Promise<Rejection[]>;
}

export interface BatchReport {
  topic: string;
  partition: number;
  fetched: number;
  applied: number;
  skipped: number;
  rejected: number;
  /** Of the records applied or rejected, those that could not be decoded (kept raw or dead-lettered). */
  undecodable: number;
  durationMs: number;
  /** When the engine received the batch from kafkajs, epoch ms. */
  receivedAt: number;
  /** The Kafka timestamp of the batch's first record (its CreateTime, unless the topic says LogAppendTime). */
  firstTimestamp: number;
  /**
   * Where `durationMs` went: decoding (registry waits included), waiting for the transaction (with
   * `groupCommit`, the one before it still being applied), the target's `prepare`, the
   * transaction's start to its position lock, applying (dead letters included), and writing the
   * position through COMMIT. Retried transactions count only in `durationMs`. Absent in a
   * rebuild's bulk phase, which commits once at its end.
   */
  /** Partition batches applied in the same transaction as this one, itself included (1 without `groupCommit`). */
  transactionBatches?: number;
  phases?: { decodeMs: number; queueMs: number; prepareMs: number; beginMs: number; applyMs: number; commitMs: number };
  /** Records behind the partition's end after this batch. */
  lag: number;
  /** The partition's position after this batch: its last offset + 1. */
  nextOffset: bigint;
}

/** Partitions by topic, as Kafka assigned them to this member. */
export type Assignment = Readonly<Record<string, readonly number[]>>;
