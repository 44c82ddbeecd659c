import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Consumer, ConsumerConfig, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Message, Producer } from 'kafkajs';
import type { AvroEventCodec, DecodedEvent, SchemaCatalog } from '@agentbus/codec';
import { deadLetterTopicSuffix, isAgentbusError, isRetriable, topicName, type AgentEvent, type EventClock } from '@agentbus/events';
import { keyHashPartitioner, mapKafkaError } from '@agentbus/kafka';
import { loggerForEvent, type Logger } from '@agentbus/logger';
import { isIdentityRefusal, type AgentPolicySource, type IdentityRefusal, type SigningKey, type VerificationMode } from '@agentbus/identity';
import { retryAfter } from '@agentbus/retry';
import type { CloseOptions, EventBus, EventHandler, HandlerContext, PublishInput, PublishOptions, SubscribeOptions, Subscription, SubscriptionSpec } from '../eventBus';
import { BusClosedError, EventTooLargeError } from '../errors';
import { InFlightGate } from '../backpressure/inFlightGate';
import { Handling, currentHandling, runHandlingOf } from '../context/eventContext';
import { childTraceparent } from '../context/traceparent';
import { entityKey, prepareEvent } from '../publishing';
import { routesFromCatalog, type Routes } from '../routing/routes';
import { SubscriptionNames } from '../subscriptionName';
import { normalizeSubscribeArgs, resolveSubscription, type ResolvedSubscription } from '../subscriptionSpec';
import { asSigner } from '../identity/signedMessage';
import { PartitionSigner } from '../identity/partitionSigner';
import { assertVerificationMode, RecordVerifier } from '../identity/recordVerifier';
import { violationFor } from '../identity/violations';
import { decodeRecord, type DecodeWaiting } from './decodeRecord';
import { deadLetterMessage, DeadLetterQueue } from './deadLetters';
import { Headers, headerText, headerValue } from './headers';

export interface KafkaEventBusOptions {
  kafka: Kafka;
  codec: AvroEventCodec;
  catalog: SchemaCatalog;
  topicPrefix: string;
  /** For error messages: where the broker was expected. */
  brokers: readonly string[];
  /** Names consumer groups (`<topicPrefix>.<service>.<subscription>`) and is the agentId of backpressure events. */
  service: string;
  logger: Logger;
  instanceId?: string;
  /** Largest encoded event accepted by publish; keep it under the broker's message.max.bytes. */
  maxEventBytes?: number;
  clock?: EventClock;
  consumer?: Partial<Pick<ConsumerConfig, 'sessionTimeout' | 'heartbeatInterval' | 'rebalanceTimeout' | 'maxWaitTimeInMs' | 'maxBytesPerPartition'>>;
  /** How long fetching must stay paused before agent.backpressure is published (default 1000 ms). */
  backpressureReportAfterMs?: number;
  /** Partitions of one subscription handled at the same time; order holds within a partition. */
  partitionsConsumedConcurrently?: number;
  /** Signs every published event; its source becomes the key's did:key. */
  signingKey?: SigningKey;
  /** Default signature check of this bus's subscriptions (default off); each subscription may set its own. */
  verify?: VerificationMode;
  /** Who may emit what (e.g. postgresAgentPolicy(db)); needed by any subscription that verifies. */
  policy?: AgentPolicySource;
}

interface RunningSubscription {
  sub: ResolvedSubscription;
  verifier: RecordVerifier | undefined;
  consumer: Consumer;
  gate: InFlightGate;
  topics: string[];
  joined: Promise<void>;
  stopping: boolean;
  pauseTimer?: NodeJS.Timeout;
  pauseReported: boolean;
}

export const defaultMaxEventBytes = 1024 * 1024;

const isRetriableHandlerError = (error: unknown): boolean => !isAgentbusError(error) || error.retriable;

const isThenable = <T>(value: T | PromiseLike<T>): value is PromiseLike<T> => typeof (value as PromiseLike<T> | undefined)?.then === 'function';

/** What a handler is told about its delivery. The span id and the headers' text are made only if the handler reads them. */
class DeliveryContext implements HandlerContext {
  readonly offset: string;
  private text: Record<string, string> | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly message: KafkaMessage,
    private readonly handling: Handling,
    readonly attempt: number,
  ) {
    this.offset = message.offset;
  }

  get traceparent(): string {
    return this.handling.traceparent;
  }

  get headers(): Readonly<Record<string, string>> {
    return (this.text ??= headerText(this.message.headers));
  }
}

/** The EventBus on Kafka: Avro through the registry, idempotent acks=all producing, consumer groups per subscription. */
export class KafkaEventBus implements EventBus {
  readonly deadLetters: DeadLetterQueue;
  readonly instanceId: string;
  private readonly routes: Routes;
  private readonly subscriptions = new Set<RunningSubscription>();
  private readonly names = new SubscriptionNames();
  private readonly deadLetterTopic: string;
  private producer: Producer | undefined;
  private producerReady: Promise<Producer> | undefined;
  private readonly signer: PartitionSigner | undefined;
  /** Each partition's batch being handled (kafkajs hands a partition one batch at a time): a dead letter takes its v4 carrier from it. */
  private readonly fetched = new Map<string, readonly KafkaMessage[]>();
  private closing = false;

  constructor(private readonly options: KafkaEventBusOptions) {
    this.routes = routesFromCatalog(options.catalog);
    this.instanceId = options.instanceId ?? `${hostname()}-${process.pid}-${randomUUID().slice(0, 6)}`;
    this.deadLetterTopic = topicName(options.topicPrefix, deadLetterTopicSuffix);
    this.deadLetters = new DeadLetterQueue(options.kafka, this.deadLetterTopic, options.codec);
    assertVerificationMode(options.verify ?? 'off', options.policy !== undefined, 'verify (bus option)');
    this.signer = options.signingKey && new PartitionSigner(options.kafka, options.signingKey);
  }

  /** The did:key this bus signs as, when it has a signing key. */
  get did(): string | undefined {
    return this.options.signingKey?.did;
  }

  /** Sets subject compatibility and registers every local schema version (idempotent). */
  registerSchemas(): Promise<{ subject: string; version: number; id: number }[]> {
    return this.options.codec.registerSchemas();
  }

  async publish(input: PublishInput, options: PublishOptions = {}): Promise<AgentEvent> {
    const [event] = await this.send([input], options.key);
    return event!;
  }

  publishMany(inputs: readonly PublishInput[]): Promise<AgentEvent[]> {
    return this.send(inputs, undefined);
  }

  subscribe(pattern: string, handler: EventHandler, options?: SubscribeOptions): Promise<Subscription>;
  subscribe(spec: SubscriptionSpec): Promise<Subscription>;
  async subscribe(patternOrSpec: string | SubscriptionSpec, handler?: EventHandler, options?: SubscribeOptions): Promise<Subscription> {
    if (this.closing) throw new BusClosedError('subscribe');
    const sub = resolveSubscription(normalizeSubscribeArgs(patternOrSpec, handler, options), this.routes, this.options.catalog);
    const verifier = this.verifierFor(sub);
    const release = this.names.claim(sub);
    // The topic prefix is part of the group: kafkajs assigns a group's partitions as if every member
    // read the same topics, so two deployments on one cluster would take each other's partitions.
    const group = `${this.options.topicPrefix}.${this.options.service}.${sub.name}`;
    const groupId = sub.mode === 'broadcast' ? `${group}.${this.instanceId}` : group;
    const consumer = this.options.kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: 30_000,
      heartbeatInterval: 3_000,
      ...this.options.consumer,
    });
    const topics = sub.categories.map((c) => topicName(this.options.topicPrefix, c));
    const running: RunningSubscription = {
      sub,
      verifier,
      consumer,
      gate: new InFlightGate(sub.maxInFlight),
      topics,
      joined: new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve())),
      stopping: false,
      pauseReported: false,
    };
    try {
      await consumer.connect();
      await consumer.subscribe({ topics, fromBeginning: sub.fromBeginning });
      await consumer.run({
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 3,
        eachBatch: (payload) => this.handleBatch(running, payload),
      });
    } catch (error) {
      release();
      await consumer.disconnect().catch(() => undefined);
      throw mapKafkaError(error, this.brokers());
    }
    this.subscriptions.add(running);
    this.options.logger.info({ subscription: sub.name, pattern: sub.pattern.source, groupId, topics, mode: sub.mode }, 'subscribed');
    return {
      name: sub.name,
      pattern: sub.pattern.source,
      mode: sub.mode,
      ready: () => running.joined,
      unsubscribe: () => this.stopSubscription(running).finally(release),
    };
  }

  /** Stops fetching, lets in-flight handlers finish, commits, and disconnects, within the deadline. */
  async close(options: CloseOptions = {}): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const deadlineMs = options.deadlineMs ?? 15_000;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), deadlineMs);
    });
    const orderly = (async () => {
      await Promise.all([...this.subscriptions].map((s) => this.stopSubscription(s)));
      if (this.producer) await this.producer.disconnect();
      await this.signer?.close();
      return 'done' as const;
    })();
    const outcome = await Promise.race([orderly, deadline]);
    clearTimeout(timer);
    if (outcome === 'timeout') this.options.logger.warn({ deadlineMs }, 'shutdown deadline passed with handlers still running; disconnecting anyway');
    else this.options.logger.info('bus closed');
  }

  private verifierFor(sub: ResolvedSubscription): RecordVerifier | undefined {
    const mode = sub.verify ?? this.options.verify ?? 'off';
    if (mode === 'off') return undefined;
    assertVerificationMode(mode, this.options.policy !== undefined, `verify of subscription ${sub.name}`);
    return new RecordVerifier({
      mode,
      policy: this.options.policy!,
      onWarning: (refusal, topic) => this.options.logger.warn({ err: refusal, topic, subscription: sub.name }, `${refusal.code}: delivered anyway (verify: warn)`),
    });
  }

  private brokers(): readonly string[] {
    return this.options.brokers;
  }

  private async getProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    this.producerReady ??= (async () => {
      // Idempotent with acks=all: broker-side dedup of retried sends, no reordering within a partition.
      const producer = this.options.kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false, createPartitioner: this.signer?.partitioner ?? keyHashPartitioner });
      try {
        await producer.connect();
      } catch (error) {
        this.producerReady = undefined;
        throw mapKafkaError(error, this.brokers());
      }
      this.producer = producer;
      return producer;
    })();
    return this.producerReady;
  }

  private async send(inputs: readonly PublishInput[], recordKey: string | undefined): Promise<AgentEvent[]> {
    if (this.closing && !currentHandling()) throw new BusClosedError('publish');
    const limit = this.options.maxEventBytes ?? defaultMaxEventBytes;
    const traceparent = childTraceparent(currentHandling()?.traceparent);
    const events: AgentEvent[] = [];
    const byTopic = new Map<string, Message[]>();
    // Everything is validated and encoded before anything is sent.
    const key = this.options.signingKey;
    for (const input of inputs) {
      const event = asSigner(prepareEvent(input, this.options.clock), key);
      this.routes.assertRoutingKey(event.type, event.routingKey);
      const encoded = this.options.codec.encodeKnown(event) ?? (await this.options.codec.encode(event));
      if (encoded.value.length > limit) throw new EventTooLargeError(event.type, encoded.value.length, limit);
      // Two headers on purpose: kafkajs allocates a 512-byte buffer per header (~3.5 µs each),
      // and id, type and correlation are in the Avro body. Routing key and trace need no decode.
      const headers: IHeaders = {
        [Headers.routingKey]: event.routingKey,
        [Headers.traceparent]: traceparent,
      };
      const messages = byTopic.get(encoded.topic) ?? [];
      messages.push({ key: recordKey ?? entityKey(event), value: encoded.value, headers, timestamp: String(event.timestamp) });
      byTopic.set(encoded.topic, messages);
      events.push(encoded.event);
    }
    const producer = await this.getProducer();
    try {
      const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      await this.signer?.sign(topicMessages);
      if (topicMessages.length === 1) await producer.send({ acks: -1, ...topicMessages[0]! });
      else await producer.sendBatch({ acks: -1, topicMessages });
    } catch (error) {
      throw mapKafkaError(error, this.brokers());
    }
    return events;
  }

  private async stopSubscription(running: RunningSubscription): Promise<void> {
    if (running.stopping) return;
    running.stopping = true;
    clearTimeout(running.pauseTimer);
    await running.consumer.disconnect();
    this.subscriptions.delete(running);
  }

  private async handleBatch(running: RunningSubscription, payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const { gate } = running;
    const clock = this.options.clock ?? Date;
    if (gate.admit(batch.messages.length, clock.now()) === 'pause') await this.pauseFetching(running);
    const { topic, partition } = batch;
    const waiting = this.decodeWaiting(running, topic, partition, heartbeat);
    running.verifier?.learnCarriers(topic, partition, batch.messages);
    const fetchedKey = `${running.sub.name}\u0000${topic}\u0000${partition}`;
    this.fetched.set(fetchedKey, batch.messages);
    let handled = 0;
    let lastHeartbeat = Date.now();
    try {
      for (const message of batch.messages) {
        if (!isRunning() || isStale() || running.stopping) break;
        // Most events are delivered without a promise of their own: deliver returns one only when it waits.
        const pending = this.deliver(running, waiting, topic, partition, message);
        if (pending) await pending;
        resolveOffset(message.offset);
        handled++;
        const { signal, pausedMs } = gate.release(1, clock.now());
        if (signal === 'resume') await this.resumeFetching(running, pausedMs);
        if (Date.now() - lastHeartbeat >= 1000) {
          await heartbeat();
          lastHeartbeat = Date.now();
        }
      }
    } finally {
      this.fetched.delete(fetchedKey);
      const { signal, pausedMs } = gate.release(batch.messages.length - handled, clock.now());
      if (signal === 'resume' && !running.stopping) await this.resumeFetching(running, pausedMs).catch(() => undefined);
    }
    // kafkajs commits the resolved offsets after every batch, a batch cut short by shutdown
    // included, so a restart starts after the last handled event.
  }

  private decodeWaiting(running: RunningSubscription, topic: string, partition: number, heartbeat: () => Promise<void>): DecodeWaiting {
    return {
      policy: running.sub.retry,
      heartbeat,
      // Unresolved on shutdown, the record is redelivered after the restart.
      shouldStop: () => running.stopping,
      onRetry: (error, attempt) => this.options.logger.warn({ err: error, topic, partition, attempt }, 'cannot decode yet; retrying'),
    };
  }

  /**
   * A pause shorter than backpressureReportAfterMs is ordinary flow control (a fetch bigger than
   * maxInFlight); only a longer one is reported, so a busy consumer does not flood the bus.
   */
  private async pauseFetching(running: RunningSubscription): Promise<void> {
    running.consumer.pause(running.topics.map((topic) => ({ topic })));
    const reportAfterMs = this.options.backpressureReportAfterMs ?? 1000;
    const report = async () => {
      running.pauseReported = true;
      await this.reportBackpressure(running, 'paused', undefined);
    };
    if (reportAfterMs <= 0) await report();
    else running.pauseTimer = setTimeout(() => void report(), reportAfterMs);
  }

  private async resumeFetching(running: RunningSubscription, pausedMs: number | undefined): Promise<void> {
    running.consumer.resume(running.topics.map((topic) => ({ topic })));
    clearTimeout(running.pauseTimer);
    if (!running.pauseReported) return;
    running.pauseReported = false;
    await this.reportBackpressure(running, 'resumed', pausedMs);
  }

  /**
   * Decodes, filters and handles one record. Returns a promise only when something has to wait (a
   * registry lookup, an async handler, a retry, a dead letter); otherwise the record is done on return.
   */
  private deliver(running: RunningSubscription, waiting: DecodeWaiting, topic: string, partition: number, message: KafkaMessage): Promise<void> | undefined {
    const { sub } = running;
    const routingKey = headerValue(message.headers, Headers.routingKey);
    // Skip records whose routing key cannot match before paying for a decode.
    if (routingKey !== undefined && !sub.pattern.matches(routingKey)) return undefined;
    let decoded: DecodedEvent | Promise<DecodedEvent>;
    try {
      decoded = decodeRecord(this.options.codec, message, waiting, running.verifier && { topic, partition, verifier: running.verifier });
    } catch (error) {
      return this.refuse(running, topic, partition, message, error);
    }
    if (isThenable(decoded)) {
      return decoded.then(
        ({ event }) => this.handle(running, waiting, topic, partition, message, event),
        (error: unknown) => this.refuse(running, topic, partition, message, error),
      );
    }
    return this.handle(running, waiting, topic, partition, message, decoded.event);
  }

  private async refuse(running: RunningSubscription, topic: string, partition: number, message: KafkaMessage, error: unknown): Promise<void> {
    if (isRetriable(error)) throw error;
    const subscription = running.sub.name;
    if (isIdentityRefusal(error)) {
      this.options.logger.error({ err: error, topic, partition, offset: message.offset, subscription }, `${error.code}: record refused; sending it to the dead-letter topic`);
      await this.reportViolation(error, topic, partition, message);
    } else this.options.logger.error({ err: error, topic, partition, offset: message.offset, subscription }, 'undecodable record; sending it to the dead-letter topic');
    await this.deadLetter(running, topic, partition, message, error, 1);
  }

  /** The first attempt, inline; a failure goes on to `retryHandler`, which pays for the retry loop. */
  private handle(running: RunningSubscription, waiting: DecodeWaiting, topic: string, partition: number, message: KafkaMessage, event: AgentEvent): Promise<void> | undefined {
    const { sub } = running;
    if (!sub.matches(event)) return undefined;
    const handling = new Handling(event, headerValue(message.headers, Headers.traceparent));
    let result: Promise<void> | void;
    try {
      result = runHandlingOf(handling, sub.handler, event, new DeliveryContext(topic, partition, message, handling, 1));
    } catch (error) {
      return this.retryHandler(running, waiting, topic, partition, message, handling, error);
    }
    if (!isThenable(result)) return undefined;
    return Promise.resolve(result).then(
      () => undefined,
      (error: unknown) => this.retryHandler(running, waiting, topic, partition, message, handling, error),
    );
  }

  private async retryHandler(running: RunningSubscription, waiting: DecodeWaiting, topic: string, partition: number, message: KafkaMessage, handling: Handling, firstError: unknown): Promise<void> {
    const { sub } = running;
    const { event } = handling;
    // A pino child with redaction costs more than a no-op handler (13 % of a consume profile):
    // made only when there is something to log.
    const log = () => loggerForEvent(this.options.logger, event);
    let attempts = 1;
    try {
      await retryAfter(
        firstError,
        (attempt) => {
          attempts = attempt;
          return runHandlingOf(handling, sub.handler, event, new DeliveryContext(topic, partition, message, handling, attempt));
        },
        {
          policy: sub.retry,
          maxAttempts: sub.retry.maxAttempts,
          isRetriable: isRetriableHandlerError,
          heartbeat: waiting.heartbeat,
          onRetry: (error, attempt) => log().warn({ err: error, attempt, subscription: sub.name }, 'handler failed; retrying'),
        },
      );
    } catch (error) {
      log().error({ err: error, attempts, subscription: sub.name }, 'handler failed; sending the event to the dead-letter topic');
      await this.deadLetter(running, topic, partition, message, error, attempts);
    }
  }

  /** Reported before the dead letter; if the send fails the batch is redelivered and the same violation id is reported again. */
  private async reportViolation(refusal: IdentityRefusal, topic: string, partition: number, message: KafkaMessage): Promise<void> {
    if (!this.options.catalog.has('violation.detected')) return;
    const violation = violationFor(refusal, { topic, partition, offset: message.offset, timestamp: Number(message.timestamp) }, this.did ?? this.options.service);
    if (violation) await this.publish(violation);
  }

  private async deadLetter(running: RunningSubscription, topic: string, partition: number, message: KafkaMessage, error: unknown, attempts: number): Promise<void> {
    const producer = await this.getProducer();
    const failedAt = (this.options.clock ?? Date).now();
    const fetchedWith = this.fetched.get(`${running.sub.name}\u0000${topic}\u0000${partition}`);
    const record = deadLetterMessage(message, { topic, partition }, { error, attempts, subscription: running.sub.name, service: this.options.service, failedAt }, fetchedWith);
    // If this send fails the batch is not resolved, so Kafka redelivers: nothing is dropped.
    await producer.send({ topic: this.deadLetterTopic, acks: -1, messages: [record] });
  }

  private async reportBackpressure(running: RunningSubscription, state: 'paused' | 'resumed', pausedMs: number | undefined): Promise<void> {
    const { sub, gate } = running;
    this.options.logger.info({ subscription: sub.name, state, queueSize: gate.size, maxInFlight: gate.maxInFlight, pausedMs }, `backpressure: fetching ${state}`);
    if (!this.options.catalog.has('agent.backpressure') || this.closing) return;
    await this.publish({
      type: 'agent.backpressure',
      source: this.options.service,
      payload: { agentId: this.options.service, subscription: sub.name, state, queueSize: gate.size, maxInFlight: gate.maxInFlight, pausedMs: pausedMs ?? null },
    }).catch((error: unknown) => this.options.logger.warn({ err: error }, 'could not publish agent.backpressure'));
  }
}
