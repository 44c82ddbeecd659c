import type { Knex } from 'knex';
import type { IHeaders, Message, Producer } from 'kafkajs';
import { asSigner, Headers, newTraceparent, type PartitionSigner } from '@agentbus/bus';
import type { AvroEventCodec } from '@agentbus/codec';
import { isEventValidationError } from '@agentbus/events';
import type { Logger } from '@agentbus/logger';
import { postponeTimers, sagaSchema, type OutboxRow } from './sagaStore';

export interface RelayOptions {
  db: Knex;
  producer: Producer;
  codec: AvroEventCodec;
  /** Signs every relayed event (its source becomes the key's DID); made with the producer, whose partitioner it reads. */
  signer?: PartitionSigner;
  logger: Logger;
  /** The saga partitions this instance owns; only their rows are relayed, in order. */
  ownedPartitions: () => readonly number[];
  batchSize?: number;
  /** A row relayed this long after it was written postpones its saga's timers by the delay (default 1000 ms). */
  lateAfterMs?: number;
  onPublished?: (rows: readonly OutboxRow[], publishedAt: number, timing: RelayTiming) => void;
  onError?: (error: unknown) => void;
}

/** One relay round, epoch ms: the outbox read began and returned, the rows were encoded and signed, Kafka acknowledged them, they were deleted. */
export interface RelayTiming {
  readAt: number;
  rowsAt: number;
  encodedAt: number;
  sentAt: number;
  deletedAt: number;
}

/**
 * Publishes the outbox to Kafka. A row is deleted only after Kafka acknowledged it, so a crash in
 * between sends it again with the same event id, and consumers deduplicate by id.
 */
export class OutboxRelay {
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: RelayOptions) {}

  /** Runs the relay now, or once more after the current run. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((error: unknown) => {
        this.options.onError?.(error);
        this.options.logger.warn({ err: error }, 'outbox relay failed; retrying on the next wake');
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  private async drain(): Promise<void> {
    const { db, producer, codec } = this.options;
    for (;;) {
      const partitions = this.options.ownedPartitions();
      if (partitions.length === 0 || this.stopped) return;
      const readAt = Date.now();
      const rows: OutboxRow[] = await db
        .withSchema(sagaSchema)
        .from('outbox')
        .select('seq', 'event_id', 'saga_id', 'created_at', 'message_key', 'event', 'caused_at')
        .whereIn('partition', [...partitions])
        .whereNull('refused_reason')
        .orderBy('seq')
        .limit(this.options.batchSize ?? 500);
      if (rows.length === 0) return;
      const rowsAt = Date.now();
      const byTopic = new Map<string, Message[]>();
      const sent: OutboxRow[] = [];
      for (const row of rows) {
        try {
          const encoded = await codec.encode(asSigner(row.event, this.options.signer?.key));
          const messages = byTopic.get(encoded.topic) ?? [];
          const headers: IHeaders = { [Headers.routingKey]: row.event.routingKey, [Headers.traceparent]: newTraceparent() };
          // No record timestamp: Kafka's CreateTime is then the moment of sending, which dispatch latency is measured to.
          messages.push({ key: row.message_key, value: encoded.value, headers });
          byTopic.set(encoded.topic, messages);
          sent.push(row);
        } catch (error) {
          if (!isEventValidationError(error)) throw error;
          // Never sendable; parked with the reason for an operator rather than blocking the saga's partition.
          this.options.logger.error({ err: error, eventId: row.event_id, eventType: row.event.type }, 'outbox event refused by its schema; parked');
          await db.withSchema(sagaSchema).table('outbox').where({ seq: row.seq }).update({ refused_reason: (error as Error).message });
        }
      }
      if (sent.length > 0) {
        const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
        await this.options.signer?.sign(topicMessages);
        const encodedAt = Date.now();
        await producer.sendBatch({ acks: -1, topicMessages });
        const publishedAt = Date.now();
        await db.withSchema(sagaSchema).table('outbox').whereIn('seq', sent.map((r) => r.seq)).delete();
        const timing: RelayTiming = { readAt, rowsAt, encodedAt, sentAt: publishedAt, deletedAt: Date.now() };
        const late = new Map<string, number>();
        for (const row of sent) {
          const delay = publishedAt - new Date(row.created_at).getTime();
          if (delay >= (this.options.lateAfterMs ?? 1000)) late.set(row.saga_id, Math.max(delay, late.get(row.saga_id) ?? 0));
        }
        if (late.size > 0) {
          await postponeTimers(db, late);
          this.options.logger.info({ sagas: late.size, maxDelayMs: Math.max(...late.values()) }, 'relayed events that waited in the outbox (a take-over); their sagas\' timers are postponed by the wait');
        }
        this.options.onPublished?.(sent, publishedAt, timing);
      }
    }
  }
}
