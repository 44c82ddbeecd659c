import * as avro from 'avsc';
import { encodeToWireFormat, fromWireFormat, toWireFormat } from './wireFormat';

describe('wire format', () => {
  it('prefixes magic byte 0 and a big-endian schema id, and round-trips', () => {
    const body = Buffer.from([1, 2, 3, 4]);
    const bytes = toWireFormat(258, body);
    expect([...bytes]).toEqual([0, 0, 0, 1, 2, 1, 2, 3, 4]);
    const decoded = fromWireFormat(bytes);
    expect(decoded.schemaId).toBe(258);
    expect(decoded.body.equals(body)).toBe(true);
  });

  it('accepts an empty body', () => {
    expect(fromWireFormat(toWireFormat(7, Buffer.alloc(0)))).toEqual({ schemaId: 7, body: Buffer.alloc(0) });
  });

  it.each([
    ['a 3-byte buffer', Buffer.from([0, 0, 1]), 'message is 3 bytes, shorter than the 5-byte wire header'],
    ['null', null, 'message is 0 bytes, shorter than the 5-byte wire header'],
    ['undefined', undefined, 'message is 0 bytes'],
    ['a wrong magic byte', Buffer.from([1, 0, 0, 0, 1, 9]), 'wrong magic byte 1, expected 0'],
  ])('rejects %s as EVENT_UNDECODABLE', (_label, bytes, reason) => {
    expect(() => fromWireFormat(bytes)).toThrow(expect.objectContaining({ code: 'EVENT_UNDECODABLE', message: expect.stringContaining(reason) }));
  });
});

describe('encodeToWireFormat', () => {
  const type = avro.Type.forSchema({ type: 'record', name: 'T', fields: [{ name: 's', type: 'string' }] });

  it('writes the same bytes as the two-step encoding, in fresh buffers', () => {
    const a = encodeToWireFormat(42, type, { s: 'hello' });
    const b = encodeToWireFormat(42, type, { s: 'other' });
    expect(a).toEqual(toWireFormat(42, type.toBuffer({ s: 'hello' })));
    expect(b).toEqual(toWireFormat(42, type.toBuffer({ s: 'other' })));
  });

  it('falls back when the body does not fit the scratch space', () => {
    const big = { s: 'x'.repeat(2 * 1024 * 1024) };
    expect(encodeToWireFormat(7, type, big)).toEqual(toWireFormat(7, type.toBuffer(big)));
  });
});
