import type { KafkaMessage, Message, Producer } from 'kafkajs';
import { carrierHeaderName, generateSigningKey, signatureHeader, signRecordGroups, verifyRecordSignature } from '@agentbus/identity';
import { createLogger } from '@agentbus/logger';
import { sendToDeadLetters } from './deadLetter';
import { toConsumedRecord } from './decodeBatch';

const key = generateSigningKey();
const topic = 't.task';
const values = ['a', 'b', 'c'].map((v) => Buffer.from(`\u0000\u0000\u0000\u0000\u0001${v}`));
const [headers] = signRecordGroups(key, [values.map((value) => ({ topic, routingKey: 'task.created', value }))]);
// A v4 group of three as fetched: consecutive offsets in one partition, the carrier last.
const fetched: KafkaMessage[] = values.map((value, i) => ({
  key: Buffer.from('k'),
  value,
  offset: String(40 + i),
  timestamp: '1700000000000',
  attributes: 0,
  headers: { 'agentbus-routing-key': Buffer.from('task.created'), [signatureHeader]: headers![i]! },
}));

const capture = () => {
  const sent: Message[] = [];
  const producer = { send: async ({ messages }: { messages: Message[] }) => void sent.push(...messages) } as unknown as Producer;
  return { sent, producer };
};
const by = { service: 'projector', logger: createLogger({ name: 'test', level: 'silent', pretty: false }), now: 1 };

describe('the engine’s dead letters', () => {
  it('keep a v4 member’s signature as bytes and carry its carrier, so the letter verifies alone', async () => {
    const { sent, producer } = capture();
    const member = toConsumedRecord(topic, 3, fetched[1]!, fetched);
    await sendToDeadLetters(producer, 't.dlq', [{ record: member, error: new Error('refused') }], by);
    const letter = sent[0]!.headers!;
    expect(letter[signatureHeader]).toEqual(headers![1]);
    expect(letter[carrierHeaderName]).toEqual(headers![2]);
    const signature = letter[signatureHeader] as Buffer;
    expect(verifyRecordSignature({ topic, routingKey: 'task.created', value: sent[0]!.value as Buffer, signature, carrier: letter[carrierHeaderName] as Buffer })).toBe(key.did);
  });

  it('carry no carrier for the carrier itself, or when the carrier was not fetched with the member', async () => {
    const { sent, producer } = capture();
    await sendToDeadLetters(
      producer,
      't.dlq',
      [
        { record: toConsumedRecord(topic, 3, fetched[2]!, fetched), error: new Error('refused') },
        { record: toConsumedRecord(topic, 3, fetched[0]!, fetched.slice(0, 2)), error: new Error('refused') },
      ],
      by,
    );
    expect(sent.map((m) => m.headers![carrierHeaderName])).toEqual([undefined, undefined]);
    expect(sent[0]!.headers![signatureHeader]).toEqual(headers![2]);
  });
});
