import { createRequire } from 'node:module';

// patches/kafkajs+2.2.4.patch (applied by patch-package on npm install) sizes kafkajs' record and
// header encoders to their content instead of a zero-filled 512-byte buffer each.
const load = createRequire(__filename);
type Encoder = { buf: Buffer; buffer: Buffer };
const encodeRecord = load('kafkajs/src/protocol/recordBatch/record/v0') as (record: object) => Encoder;
const encodeHeader = load('kafkajs/src/protocol/recordBatch/header/v0') as (header: { key: string; value: unknown }) => Encoder;
const Decoder = load('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => { readVarInt(): number };
const groupMessagesPerPartition = load('kafkajs/src/producer/groupMessagesPerPartition') as (args: { topic: string; partitionMetadata: unknown[]; messages: { key: string }[]; partitioner: (args: { message: { key: string } }) => number }) => Record<string, { key: string }[]>;
const decodeRecord = load('kafkajs/src/protocol/recordBatch/record/v0/decoder') as (decoder: unknown, context: object) => { key: Buffer; value: Buffer; headers: Record<string, Buffer> };

describe('kafkajs record encoding (patched)', () => {
  it('is applied: a header is encoded in a buffer of its own size, not 512 bytes', () => {
    const header = encodeHeader({ key: 'traceparent', value: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    expect(header.buffer.length).toBe(1 + 11 + 1 + 55);
    expect(header.buf.length).toBeLessThan(512);
  });

  it.each([
    ['no headers', {}],
    ['string and Buffer headers', { 'agentbus-routing-key': 'task.created.x', traceparent: Buffer.from('00-ab-cd-01'), empty: '' }],
    ['multi-byte text', { 'clé': 'värde 日本', 'x-y': Buffer.alloc(300, 0xfe) }],
  ])('encodes records that kafkajs decodes back exactly: %s', (_name, headers) => {
    const value = Buffer.from(Array.from({ length: 600 }, (_, i) => i % 251));
    const encoded = encodeRecord({ offsetDelta: 7, timestampDelta: 11, key: 'task-1', value, headers });
    const decoder = new Decoder(encoded.buffer);
    expect(decoder.readVarInt()).toBe(encoded.buffer.length - 2);
    const decoded = decodeRecord(decoder, { firstOffset: '0', firstTimestamp: '0' });
    expect(decoded.key.toString()).toBe('task-1');
    expect(decoded.value.equals(value)).toBe(true);
    expect(Object.fromEntries(Object.entries(decoded.headers).map(([k, v]) => [k, v.toString('latin1')]))).toEqual(
      Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('latin1') : Buffer.from(v).toString('latin1')])),
    );
  });
});

describe('kafkajs message grouping (patched: appended in place, not copied per message)', () => {
  it('puts every message in its partition, in the order sent', () => {
    const messages = Array.from({ length: 5000 }, (_, i) => ({ key: `k${i}` }));
    const groups = groupMessagesPerPartition({ topic: 't', partitionMetadata: [{}, {}, {}], messages, partitioner: ({ message }) => Number(message.key.slice(1)) % 3 });
    expect(Object.keys(groups).sort()).toEqual(['0', '1', '2']);
    for (const [partition, group] of Object.entries(groups)) expect(group).toEqual(messages.filter((_, i) => i % 3 === Number(partition)));
    expect(groupMessagesPerPartition({ topic: 't', partitionMetadata: [], messages, partitioner: () => 0 })).toEqual({});
  });
});
