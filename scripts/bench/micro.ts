import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { Headers, newTraceparent } from '@agentbus/bus';
import { assertReadable, loadSchemaCatalog } from '@agentbus/codec';
import { createEvent } from '@agentbus/events';
import { createLogger, loggerForEvent } from '@agentbus/logger';
import { nowMs } from './stats';

/**
 * Per-event costs behind the profiles, measured in isolation (no broker, no profiler):
 *
 *   npx tsx scripts/bench/micro.ts
 */

type RecordEncoder = (record: { offsetDelta: number; timestampDelta: number; key: string; value: Buffer; headers: Record<string, string | Buffer> }) => unknown;
// kafkajs' own record encoder (the one producer.send runs for every message); not part of its typed API.
const encodeRecord = createRequire(__filename)('kafkajs/src/protocol/recordBatch/record/v0') as RecordEncoder;

const time = (label: string, n: number, fn: (i: number) => unknown): void => {
  for (let i = 0; i < n / 4; i++) fn(i); // warm-up
  const start = nowMs();
  for (let i = 0; i < n; i++) fn(i);
  const us = ((nowMs() - start) * 1000) / n;
  console.log(`${us.toFixed(2).padStart(8)} µs  ${label}`);
};

const main = (): void => {
  const n = 200_000;
  const value = Buffer.alloc(480, 7);
  const id = '01KAT3Z8J0V6Q2M1YB5N7C9D4E';
  const headers = {
    [Headers.routingKey]: 'task.created',
    [Headers.traceparent]: newTraceparent(),
  };
  const bufferHeaders = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]));
  const record = (h: Record<string, string | Buffer>) => (i: number) => encodeRecord({ offsetDelta: i % 500, timestampDelta: 3, key: 'task-abc-0000001', value, headers: h });

  console.log('publish, per record (kafkajs record encoding of a 480-byte value):');
  time('no headers', n, record({}));
  time('the 5 agentbus headers (strings)', n, record(headers));
  time('the 5 agentbus headers (Buffers)', n, record(bufferHeaders));
  time('1 header (traceparent)', n, record({ [Headers.traceparent]: headers[Headers.traceparent] }));

  console.log('consume, per event (KafkaEventBus.deliver):');
  time('randomBytes(8).toString("hex") (childTraceparent)', n, () => randomBytes(8).toString('hex'));
  const sink = new Writable({ write: (_chunk, _enc, cb) => cb() });
  const logger = createLogger({ name: 'micro', level: 'info', pretty: false, destination: sink });
  const event = { id, type: 'task.created', metadata: { correlationId: id, causationId: id } };
  time('loggerForEvent (pino child with redaction)', n, () => loggerForEvent(logger, event));

  console.log('consume, per event (AvroEventCodec.decode, after the registry lookup is cached):');
  const taskCreated = loadSchemaCatalog().latest('task.created');
  const payload = { taskId: 'task-abc-0000001', description: 'Summarise the quarterly report', priority: 'high', domain: 'financial', requiredCapability: null, input: null };
  const plain = createEvent({ type: 'task.created', source: 'did:agent:planner', payload }, { now: () => 1760000000000, newId: () => id });
  const extended = { ...plain, routingKey: 'task.created.financial.urgent' };
  const body = taskCreated.avroType.toBuffer({ ...plain, metadata: { ...plain.metadata, causationId: null } });
  time('Avro body decode (task.created, avsc fromBuffer)', n, () => taskCreated.avroType.fromBuffer(body));
  time('assertReadable, routing key = type, header present', n, () => assertReadable(taskCreated, plain, { schemaId: 1, routingKeyHeader: plain.routingKey }));
  time('assertReadable, 4-word routing key, header present', n, () => assertReadable(taskCreated, extended, { schemaId: 1, routingKeyHeader: extended.routingKey }));
};

main();
