import * as crypto from 'node:crypto';
import { maxGroupLeaves, maxSignatureGroups, memberHeaderBytes, proveCarrier, signRecordGroups, type RecordToSignV4 } from './carrierSignature';
import { IdentityErrorCodes } from './errors';
import { VerifiedBatches, verifyRecordSignature } from './recordSignature';
import { generateSigningKey } from './signingKey';
import { codeOf } from './identityTesting.spec-support';

// An independent reading of docs/identity.md ("v4"), written out again on purpose.
const sha256 = (...parts: Buffer[]) => crypto.createHash('sha256').update(Buffer.concat(parts)).digest();
const u32 = (n: number) => Buffer.from([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const lengthPrefixed = (...fields: Buffer[]) => Buffer.concat(fields.flatMap((f) => [u32(f.length), f]));
const ascii = (text: string) => Buffer.from(text, 'utf8');
const referenceLeaf = (did: string, r: RecordToSignV4) =>
  sha256(Buffer.from([0]), lengthPrefixed(ascii('agentbus-event-signature/v2'), ascii('ed25519'), ascii(did), ascii(r.topic), ascii(r.routingKey ?? ''), r.value ?? Buffer.alloc(0)));

const key = generateSigningKey();
const other = generateSigningKey();
const records = (topic: string, n: number, tag = 'r'): RecordToSignV4[] =>
  Array.from({ length: n }, (_, i) => ({ topic, routingKey: `task.created.${i % 3}`, value: Buffer.from(`\u0000\u0000\u0000\u0000\u0007${tag}-${i}`) }));

/** A group as Kafka stores it: records at consecutive offsets from `base` in one partition, the carrier last. */
const stored = (group: RecordToSignV4[], headers: Buffer[], partition: number, base: number) =>
  group.map((r, i) => ({ ...r, signature: headers[i]!, position: { partition, offset: String(base + i) } }));

const readAll = (verified: VerifiedBatches, rows: ReturnType<typeof stored>) => {
  for (const row of rows) verified.learnCarrier(row.topic, row.position, row.signature);
  return rows.map((row) => verifyRecordSignature(row, verified));
};

describe('v4 batch signatures (one per publish, carried by each group’s last record)', () => {
  const groups = [records('t.tasks', 5, 'a'), records('t.tasks', 1, 'b'), records('t.agents', 3, 'c')];
  const headers = signRecordGroups(key, groups);

  it('gives members 8 bytes and puts the key, the signature, every group hash and the group’s leaves on its last record', () => {
    expect(headers.map((h) => h.length)).toEqual([5, 1, 3]);
    expect(headers[0]!.slice(0, 4).every((h) => h.length === memberHeaderBytes)).toBe(true);
    const carriers = [headers[0]![4]!, headers[1]![0]!, headers[2]![2]!];
    // 8 + 32 key + 64 signature + 4 + 3 group hashes + the group's leaves
    expect(carriers.map((c) => c.length)).toEqual([8 + 32 + 64 + 4 + 96 + 5 * 32, 8 + 32 + 64 + 4 + 96 + 32, 8 + 32 + 64 + 4 + 96 + 3 * 32]);
    // One Ed25519 signature for the whole publish.
    expect(new Set(carriers.map((c) => c.subarray(40, 104).toString('hex'))).size).toBe(1);
  });

  it('verifies every record of every group against its carrier, read at its offset in the same partition', () => {
    const verified = new VerifiedBatches();
    const rows = [...stored(groups[0]!, headers[0]!, 0, 100), ...stored(groups[1]!, headers[1]!, 1, 7), ...stored(groups[2]!, headers[2]!, 0, 40)];
    expect(readAll(verified, rows)).toEqual(rows.map(() => key.did));
    // A record checked twice (the decode path's fast try, then the full one) is proven twice.
    expect(rows.map((row) => verifyRecordSignature(row, verified))).toEqual(rows.map(() => key.did));
  });

  it('follows docs/identity.md: leaves, group hashes and the signed input rebuilt independently verify with crypto.verify', () => {
    const groupHashes = groups.map((g) => sha256(Buffer.from([2]), u32(g.length), ...g.map((r) => referenceLeaf(key.did, r))));
    const input = lengthPrefixed(ascii('agentbus-batch-signature/v4'), ascii('ed25519'), ascii(key.did), u32(groups.length), Buffer.concat(groupHashes));
    const carrier = headers[2]![2]!;
    const publicKey = crypto.createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), carrier.subarray(8, 40)]), format: 'der', type: 'spki' });
    expect(crypto.verify(null, input, publicKey, carrier.subarray(40, 104))).toBe(true);
    expect(carrier.subarray(108, 108 + 96)).toEqual(Buffer.concat(groupHashes));
    expect(carrier.subarray(108 + 96)).toEqual(Buffer.concat(groups[2]!.map((r) => referenceLeaf(key.did, r))));
    expect(carrier.readUInt16BE(104)).toBe(2);
    expect(carrier.readUInt16BE(106)).toBe(3);
  });

  it('refuses a member whose carrier was not read with it, naming where the carrier is', () => {
    const verified = new VerifiedBatches();
    const member = stored(groups[0]!, headers[0]!, 3, 100)[1]!;
    expect(() => verifyRecordSignature(member, verified)).toThrow(/carrier, the record at offset 104 of partition 3, which was not read with it/);
    expect(() => verifyRecordSignature({ ...member, position: undefined }, verified)).toThrow(/carrier, the last record of its group, which was not read/);
  });

  it('finds the carrier of a member whose offset is past 2^53 (offsets are int64)', () => {
    const verified = new VerifiedBatches();
    const base = 9_007_199_254_740_990n;
    const rows = groups[0]!.map((r, i) => ({ ...r, signature: headers[0]![i]!, position: { partition: 0, offset: String(base + BigInt(i)) } }));
    expect(readAll(verified, rows)).toEqual(rows.map(() => key.did));
    expect(() => verifyRecordSignature({ ...rows[0]!, position: { partition: 0, offset: String(base - 1n) } }, verified)).toThrow(/offset 9007199254740993 of partition 0/);
  });

  it('verifies a member copied away from its group (a dead letter) with its carrier attached', () => {
    const member = stored(groups[0]!, headers[0]!, 0, 100)[2]!;
    expect(verifyRecordSignature({ ...member, position: undefined, carrier: headers[0]![4]! })).toBe(key.did);
    expect(codeOf(() => verifyRecordSignature({ ...member, position: undefined, carrier: headers[2]![2]! }))).toBe(IdentityErrorCodes.signatureInvalid);
  });

  it('refuses a changed value, on a member and on the carrier', () => {
    const rows = stored(groups[0]!, headers[0]!, 0, 100);
    const flip = (value: Buffer) => Buffer.from(value.map((b, i) => (i === value.length - 1 ? b ^ 1 : b)));
    const verified = new VerifiedBatches();
    for (const row of rows) verified.learnCarrier(row.topic, row.position, row.signature);
    expect(() => verifyRecordSignature({ ...rows[1]!, value: flip(rows[1]!.value!) }, verified)).toThrow(/does not match the record/);
    expect(() => verifyRecordSignature({ ...rows[4]!, value: flip(rows[4]!.value!) }, verified)).toThrow(/does not match the record/);
    expect(() => verifyRecordSignature({ ...rows[1]!, routingKey: 'task.failed' }, verified)).toThrow(/does not match the record/);
    expect(() => verifyRecordSignature({ ...rows[1]!, topic: 't.other' }, verified)).toThrow(/not read with it/);
  });

  it('refuses a tampered carrier, and every member of its group with the carrier’s reason', () => {
    const cases: [string, (c: Buffer) => void, RegExp][] = [
      ['a leaf changed', (c) => (c[c.length - 1]! ^= 1), /do not hash to the group hash/],
      ['a group hash changed', (c) => (c[110]! ^= 1), /do not hash to the group hash|signature does not match its groups/],
      ['another group’s hash changed', (c) => (c[108 + 40]! ^= 1), /signature does not match its groups/],
      ['the signature changed', (c) => (c[50]! ^= 1), /signature does not match its groups/],
      ['another key named', (c) => other.publicKeyBytes.copy(c, 8), /signature does not match its groups.*another key/],
      ['a leaf cut off', () => undefined, /is \d+ bytes, got/],
    ];
    for (const [what, tamper, reason] of cases) {
      const rows = stored(groups[0]!, headers[0]!, 0, 100).map((r) => ({ ...r, signature: Buffer.from(r.signature) }));
      tamper(rows[4]!.signature);
      if (what === 'a leaf cut off') rows[4]!.signature = rows[4]!.signature.subarray(0, -1);
      const verified = new VerifiedBatches();
      for (const row of rows) verified.learnCarrier(row.topic, row.position, row.signature);
      expect(() => verifyRecordSignature(rows[4]!, verified)).toThrow(reason);
      expect(() => verifyRecordSignature(rows[0]!, verified)).toThrow(/its group's carrier \(the record at offset 104 of partition 0\) is invalid/);
    }
  });

  it('names the key that re-signed another agent’s leaves: the reader then refuses the source (SOURCE_MISMATCH)', () => {
    const [forged] = signRecordGroups(other, [groups[0]!]);
    const victim = stored(groups[0]!, headers[0]!, 0, 100);
    const verified = new VerifiedBatches();
    verified.learnCarrier('t.tasks', { partition: 0, offset: '104' }, forged![4]!);
    expect(verifyRecordSignature(victim[0]!, verified)).toBe(other.did);
  });

  it('refuses malformed v4 headers with the reason', () => {
    const member = headers[0]![0]!;
    const carrier = headers[0]![4]!;
    const row = (signature: Buffer) => ({ ...groups[0]![0]!, signature, position: { partition: 0, offset: '100' } });
    const edited = (from: Buffer, at: number, byte: number) => Buffer.from(from.map((b, i) => (i === at ? byte : b)));
    expect(() => verifyRecordSignature(row(member.subarray(0, 7)))).toThrow(/at least 8 bytes, got 7/);
    expect(() => verifyRecordSignature(row(edited(member, 2, 9)))).toThrow(/unknown algorithm 0x09/);
    expect(() => verifyRecordSignature(row(edited(member, 3, 2)))).toThrow(/unknown v4 header kind 2/);
    expect(() => verifyRecordSignature(row(edited(member, 5, 9)))).toThrow(/leaf 9 is outside a group of 5/);
    expect(() => verifyRecordSignature(row(Buffer.concat([member, Buffer.from([0])])))).toThrow(/member header is 8 bytes, got 9/);
    expect(() => verifyRecordSignature(row(edited(carrier, 5, 1)))).toThrow(/carrier is the last leaf of its group \(4\), not leaf 1/);
    expect(() => proveCarrier(edited(carrier, 107, 17))).toThrow(/outside a signature over 17 groups/);
    expect(() => proveCarrier(member)).toThrow(/member, not the carrier/);
  });

  it('splits a group larger than a carrier holds, and a publish of more groups than one signature covers', () => {
    const big = records('t.tasks', maxGroupLeaves + 10, 'big');
    const [bigHeaders] = signRecordGroups(key, [big]);
    expect(bigHeaders![maxGroupLeaves - 1]!.length).toBeGreaterThan(memberHeaderBytes);
    expect(bigHeaders![maxGroupLeaves + 9]!.length).toBeGreaterThan(memberHeaderBytes);
    expect(readAll(new VerifiedBatches(), stored(big, bigHeaders!, 0, 0)).every((signer) => signer === key.did)).toBe(true);

    const many = Array.from({ length: maxSignatureGroups + 2 }, (_, g) => records('t.tasks', 2, `g${g}`));
    const manyHeaders = signRecordGroups(key, many);
    const signatures = new Set(manyHeaders.map((h) => h[1]!.subarray(40, 104).toString('hex')));
    expect(signatures.size).toBe(2);
    const verified = new VerifiedBatches();
    const rows = many.flatMap((g, i) => stored(g, manyHeaders[i]!, i, 10));
    expect(readAll(verified, rows).every((signer) => signer === key.did)).toBe(true);
  });
});
