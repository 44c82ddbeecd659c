import type { IHeaders, Message } from 'kafkajs';
import { encodeSigned, Headers } from '@agentbus/bus';
import { createEvent, type AgentEvent } from '@agentbus/events';
import { base58Encode, formatSignatureHeader, parseSignatureHeader, signatureHeader, signRecord, signRecords, signRecordsV2, type SigningKey } from '@agentbus/identity';

type AvroEventCodec = Parameters<typeof encodeSigned>[0];

/** The keys of the attack scenes: alice and bob may emit task.* and agent.*, carol only agent.*, revoked was revoked, mallory was never allowed. */
export interface AttackKeys {
  alice: SigningKey;
  bob: SigningKey;
  carol: SigningKey;
  revoked: SigningKey;
  mallory: SigningKey;
}

export interface Attack {
  name: string;
  topic: string;
  message: Message;
  /** The code a reader that requires signatures refuses it with. */
  code: 'EVENT_UNSIGNED' | 'SIGNATURE_INVALID' | 'SOURCE_MISMATCH' | 'NOT_AUTHORIZED';
  /** Who the violation report should name. */
  offender: string;
  taskId: string;
}

export const attackGrants = (keys: AttackKeys) => [
  { did: keys.alice.did, types: ['task.*', 'agent.*'], name: 'alice' },
  { did: keys.bob.did, types: ['task.*', 'agent.*'], name: 'bob' },
  { did: keys.carol.did, types: ['agent.*'], name: 'carol' },
  { did: keys.revoked.did, types: ['task.*'], name: 'revoked' },
];

const taskCreated = (taskId: string, source: string): AgentEvent =>
  createEvent({ type: 'task.created', source, payload: { taskId, description: `forged-${taskId}`, priority: 'normal', domain: null, requiredCapability: null, input: null } });

const withHeader = (message: Message, name: string, value: string | Buffer): Message => ({ ...message, headers: { ...(message.headers as IHeaders), [name]: value } });

/**
 * Every attack of issue 15 as a ready Kafka message: each must be refused with its code by a
 * reader in `require`, and nothing else lost. `label` keeps task ids unique per run.
 */
export const identityAttacks = async (codec: AvroEventCodec, keys: AttackKeys, label: string): Promise<Attack[]> => {
  const id = (name: string) => `${label}-${name}`;
  const signed = (taskId: string, key: SigningKey) => encodeSigned(codec, taskCreated(taskId, key.did), key);
  const attacks: Attack[] = [];
  const add = (name: string, built: { topic: string; message: Message }, code: Attack['code'], offender: string) => attacks.push({ name, ...built, code, offender, taskId: id(name) });

  {
    const encoded = await codec.encode(taskCreated(id('unsigned'), keys.alice.did));
    add('unsigned', { topic: encoded.topic, message: { key: id('unsigned'), value: encoded.value, headers: { [Headers.routingKey]: encoded.event.routingKey } } }, 'EVENT_UNSIGNED', keys.alice.did);
  }
  {
    // Mallory signs, but the header names alice's key.
    const { topic, message } = await signed(id('other-key'), keys.alice);
    const byMallory = parseSignatureHeader(signRecord(keys.mallory, { topic, routingKey: 'task.created', value: message.value as Buffer })).signature;
    add('other-key', { topic, message: withHeader(message, signatureHeader, formatSignatureHeader(keys.alice.did, byMallory)) }, 'SIGNATURE_INVALID', keys.alice.did);
  }
  {
    const { topic, message } = await signed(id('value-flipped'), keys.alice);
    const value = Buffer.from(message.value as Buffer);
    const at = value.indexOf(Buffer.from('forged-'));
    value[at] = 'F'.charCodeAt(0);
    add('value-flipped', { topic, message: { ...message, value } }, 'SIGNATURE_INVALID', keys.alice.did);
  }
  {
    const { topic, message } = await signed(id('header-changed'), keys.alice);
    add('header-changed', { topic, message: withHeader(message, Headers.routingKey, 'task.created.elsewhere') }, 'SIGNATURE_INVALID', keys.alice.did);
  }
  {
    // A signed record replayed with a fresh event id in the body, the old signature kept.
    const original = await signed(id('replayed'), keys.alice);
    const replayed = await codec.encode({ ...original.encoded.event, id: createEvent({ type: 'task.created', source: 'x', payload: {} }).id });
    add('replayed', { topic: original.topic, message: { ...original.message, value: replayed.value } }, 'SIGNATURE_INVALID', keys.alice.did);
  }
  {
    // Names alice as source, signed (validly) by bob, who is allowed too.
    const encoded = await codec.encode(taskCreated(id('source-mismatch'), keys.alice.did));
    const headers = { [Headers.routingKey]: 'task.created', [signatureHeader]: signRecord(keys.bob, { topic: encoded.topic, routingKey: 'task.created', value: encoded.value }) };
    add('source-mismatch', { topic: encoded.topic, message: { key: id('source-mismatch'), value: encoded.value, headers } }, 'SOURCE_MISMATCH', keys.bob.did);
  }
  add('revoked', await signed(id('revoked'), keys.revoked), 'NOT_AUTHORIZED', keys.revoked.did);
  add('never-allowed', await signed(id('never-allowed'), keys.mallory), 'NOT_AUTHORIZED', keys.mallory.did);
  {
    const completed = createEvent({ type: 'task.completed', source: keys.carol.did, payload: { taskId: id('wrong-type'), result: { status: 'success', output: '{}', metrics: null } } });
    add('wrong-type', await encodeSigned(codec, completed, keys.carol), 'NOT_AUTHORIZED', keys.carol.did);
  }
  const malformed = async (name: string, header: (did: string, sig: string) => string) => {
    const { topic, message } = await signed(id(name), keys.alice);
    const sig = parseSignatureHeader(signRecord(keys.alice, { topic, routingKey: 'task.created', value: message.value as Buffer })).signature.toString('base64');
    add(name, { topic, message: withHeader(message, signatureHeader, header(keys.alice.did, sig)) }, 'SIGNATURE_INVALID', keys.alice.did);
  };
  await malformed('sig-wrong-length', (did, sig) => `v=1;alg=ed25519;kid=${did};sig=${sig.slice(0, 40)}`);
  await malformed('sig-not-base64', (did) => `v=1;alg=ed25519;kid=${did};sig=${'*'.repeat(88)}`);
  await malformed('sig-unknown-alg', (did, sig) => `v=1;alg=ecdsa-p256;kid=${did};sig=${sig}`);
  await malformed('kid-not-ed25519', (_did, sig) => `v=1;alg=ed25519;kid=did:key:z${base58Encode(Buffer.concat([Buffer.from([0xe7, 0x01]), Buffer.alloc(33, 3)]))};sig=${sig}`);
  {
    // A signed task record copied onto the agent topic: the signature covers the topic.
    const { topic, message } = await signed(id('cross-topic'), keys.alice);
    add('cross-topic', { topic: topic.replace(/task$/, 'agent'), message }, 'SIGNATURE_INVALID', keys.alice.did);
  }
  for (const [version, sign] of [['v3', signRecords], ['v2', signRecordsV2]] as const) {
    // Batch signatures: one record given another's leaf and path, one with a byte flipped.
    const names = ['path-swapped', 'value-flipped', 'unused'].map((n) => `batch-${version}-${n}`);
    const batch = await Promise.all(names.map((name) => codec.encode(taskCreated(id(name), keys.alice.did))));
    const headers: (string | Buffer)[] = sign(keys.alice, batch.map((e) => ({ topic: e.topic, routingKey: e.event.routingKey, value: e.value })));
    const message = (i: number, header: string | Buffer, value = batch[i]!.value): Message => ({ key: batch[i]!.event.id, value, headers: { [Headers.routingKey]: batch[i]!.event.routingKey, [signatureHeader]: header } });
    attacks.push({ name: names[0]!, topic: batch[0]!.topic, message: message(0, headers[2]!), code: 'SIGNATURE_INVALID', offender: keys.alice.did, taskId: id(names[0]!) });
    const flipped = Buffer.from(batch[1]!.value);
    flipped[flipped.indexOf(Buffer.from('forged-'))] = 'F'.charCodeAt(0);
    attacks.push({ name: names[1]!, topic: batch[1]!.topic, message: message(1, headers[1]!, flipped), code: 'SIGNATURE_INVALID', offender: keys.alice.did, taskId: id(names[1]!) });
  }
  const malformedV3 = async (name: string, change: (header: Buffer) => Buffer) => {
    const { topic, message } = await signed(id(name), keys.alice);
    add(name, { topic, message: withHeader(message, signatureHeader, change((message.headers as IHeaders)[signatureHeader] as Buffer)) }, 'SIGNATURE_INVALID', keys.alice.did);
  };
  await malformedV3('v3-truncated', (h) => h.subarray(0, 60));
  await malformedV3('v3-unknown-version', (h) => Buffer.concat([Buffer.from([0xff, 4]), h.subarray(2)]));
  await malformedV3('v3-unknown-alg', (h) => Buffer.concat([Buffer.from([0xff, 3, 2]), h.subarray(3)]));
  await malformedV3('v3-path-not-hashes', (h) => Buffer.concat([h, Buffer.alloc(5)]));
  return attacks;
};

/** A correctly signed, allowed event, to show the reader goes on after the attacks. */
export const legitimateEvent = (codec: AvroEventCodec, key: SigningKey, taskId: string) => encodeSigned(codec, taskCreated(taskId, key.did), key);
