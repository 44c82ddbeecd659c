import { createEvent, EventDecodeError } from '@agentbus/events';
import { auditRecordFromRow, canonicalJson, canonicalRecord, storableText, storedHeaderValue, toAuditRecord, type AuditRecord } from './auditRecord';

const event = createEvent(
  { type: 'action.vetoed', source: 'human', payload: { reason: 'too risky', actionId: 'a1', vetoedBy: 'alice' }, correlationId: 'C1', causationId: 'P1' },
  { now: () => 1_764_000_000_000, newId: () => 'E1' },
);
const raw = { topic: 'p.decision', partition: 2, offset: '41', timestamp: '1764000000123', key: Buffer.from('a1'), value: Buffer.from([0, 0, 0, 0, 7, 1, 2, 3]), headers: { 'agentbus-routing-key': Buffer.from('action.vetoed'), traceparent: '00-abc' } };

describe('canonicalJson', () => {
  it('sorts keys at every level, so key order never changes the text', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: null, y: 'x' }], c: true } })).toBe('{"a":{"c":true,"d":[1,{"y":"x","z":null}]},"b":1}');
    expect(canonicalJson({ a: { c: true, d: [1, { y: 'x', z: null }] }, b: 1 })).toBe(canonicalJson({ b: 1, a: { d: [1, { z: null, y: 'x' }], c: true } }));
  });

  it('is the same text for a value and for that value read back as JSON (what jsonb returns)', () => {
    const value = { n: 1e21, f: 0.30000000000000004, neg: -0, big: 12345678901234567890n, bytes: Buffer.from('hi'), when: new Date(0), gone: undefined, list: [undefined, 'é'] };
    const text = canonicalJson(value);
    expect(canonicalJson(JSON.parse(text))).toBe(text);
    expect(text).toBe('{"big":"12345678901234567890","bytes":"aGk=","f":0.30000000000000004,"list":[null,"é"],"n":1e+21,"neg":0,"when":"1970-01-01T00:00:00.000Z"}');
  });

  it('replaces NUL and lone surrogates, which Postgres cannot store, with U+FFFD', () => {
    expect(canonicalJson({ s: 'a\u0000b\ud800' })).toBe('{"s":"a\uFFFDb\uFFFD"}');
    expect(storableText('ok 😀')).toBe('ok 😀');
  });
});

describe('toAuditRecord', () => {
  it('keeps every field of a decoded event, the raw bytes and the headers', () => {
    const r = toAuditRecord(raw, { event, schemaId: 7 });
    expect(r).toEqual({
      topic: 'p.decision',
      partition: 2,
      offset: '41',
      kafkaTimestamp: 1_764_000_000_123,
      key: Buffer.from('a1'),
      value: raw.value,
      headers: '{"agentbus-routing-key":"action.vetoed","traceparent":"00-abc"}',
      eventId: 'E1',
      type: 'action.vetoed',
      routingKey: 'action.vetoed',
      source: 'human',
      occurredAt: 1_764_000_000_000,
      correlationId: 'C1',
      causationId: 'P1',
      schemaId: 7,
      schemaVersion: '1',
      payload: '{"actionId":"a1","reason":"too risky","vetoedBy":"alice"}',
      decodeError: null,
    });
  });

  it('stores an undecodable record raw, with the decode error and the schema id its bytes name', () => {
    const r = toAuditRecord(raw, { error: new EventDecodeError('unknown schema id 7', { schemaId: 7 }) });
    expect(r).toMatchObject({ eventId: null, type: null, payload: null, schemaId: 7, value: raw.value, decodeError: 'EVENT_UNDECODABLE: Cannot decode event: unknown schema id 7' });
    expect(toAuditRecord({ ...raw, value: Buffer.from('garbage'), timestamp: '-1' }, { error: new Error('bad magic byte') })).toMatchObject({ schemaId: null, kafkaTimestamp: null, decodeError: 'bad magic byte' });
  });

  it('writes headers as canonicalJson of their text: names sorted, lists kept, what Postgres cannot store replaced', () => {
    const headers = { zeta: Buffer.from('z\u0000'), '10': 'ten', b: [Buffer.from('one'), 'two'], 'é🚀': Buffer.from('\ud83d'), a: undefined, empty: Buffer.alloc(0) };
    const text = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== undefined).map(([k, v]) => [k, Array.isArray(v) ? v.map(String) : String(v)]));
    expect(toAuditRecord({ ...raw, headers }, { error: new Error('x') }).headers).toBe(canonicalJson(text));
    expect(toAuditRecord({ ...raw, headers: undefined }, { error: new Error('x') }).headers).toBe('{}');
  });

  it('keeps a header value that is not UTF-8 (a v3 agentbus-signature) whole, as {"base64": …}, and gives the bytes back', () => {
    const bytes = Buffer.from([0xff, 3, 1, 0, 0x80, 0xc3]);
    const stored = toAuditRecord({ ...raw, headers: { 'agentbus-signature': bytes, list: [bytes, 'two'] } }, { error: new Error('x') }).headers;
    expect(stored).toBe('{"agentbus-signature":{"base64":"/wMBAIDD"},"list":[{"base64":"/wMBAIDD"},"two"]}');
    const read = JSON.parse(stored) as Record<string, unknown>;
    expect(canonicalJson(read)).toBe(stored);
    expect(storedHeaderValue(read['agentbus-signature'])).toEqual(bytes);
    expect(storedHeaderValue('text')).toBe('text');
  });

  it('takes an event timestamp Postgres cannot hold as unknown', () => {
    expect(toAuditRecord(raw, { event: { ...event, timestamp: 9e15 }, schemaId: 7 }).occurredAt).toBeNull();
  });
});

describe('canonicalRecord', () => {
  const record = toAuditRecord(raw, { event, schemaId: 7 });
  const row = {
    topic: 'p.decision',
    partition: 2,
    kafka_offset: '41',
    position: '9',
    kafka_timestamp: new Date(1_764_000_000_123),
    record_key: Buffer.from('a1'),
    raw: raw.value,
    headers: { traceparent: '00-abc', 'agentbus-routing-key': 'action.vetoed' },
    event_id: 'E1',
    type: 'action.vetoed',
    routing_key: 'action.vetoed',
    source: 'human',
    occurred_at: new Date(1_764_000_000_000),
    correlation_id: 'C1',
    causation_id: 'P1',
    schema_id: 7,
    schema_version: '1',
    payload: { vetoedBy: 'alice', reason: 'too risky', actionId: 'a1' },
    decode_error: null,
    prev_hash: Buffer.alloc(32),
    hash: Buffer.alloc(32),
  };

  it('is recomputed identically from the stored row', () => {
    expect(canonicalRecord(auditRecordFromRow(row))).toBe(canonicalRecord(record));
  });

  it.each<[string, Partial<AuditRecord>]>([
    ['payload', { payload: '{"actionId":"a1","reason":"fine","vetoedBy":"alice"}' }],
    ['source', { source: 'mallory' }],
    ['offset', { offset: '42' }],
    ['raw bytes', { value: Buffer.from([0, 0, 0, 0, 7, 1, 2, 4]) }],
    ['headers', { headers: '{}' }],
    ['decode error', { decodeError: 'x' }],
  ])('changes when the %s changes', (_field, change) => {
    expect(canonicalRecord({ ...record, ...change })).not.toBe(canonicalRecord(record));
  });
});
