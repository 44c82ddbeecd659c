import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { base58Encode } from './base58';
import { publicKeyBytesOfDid } from './didKey';
import { IdentityErrorCodes } from './errors';
import { leafHash, merkleTree, rootFromPath } from './merkleTree';
import { maxBatchLeaves, signRecords, signRecordsV2, VerifiedBatches, verifyRecordSignature } from './recordSignature';
import { formatBatchSignatureHeader, parseSignatureHeader, type BatchSignatureHeader } from './signatureHeader';
import { generateSigningKey } from './signingKey';
import { batchLeafDomain, batchLeafHash, signingInput } from './signingInput';
import { codeOf } from './identityTesting.spec-support';

// An independent reading of docs/identity.md and RFC 9162 §2.1.1, written out again on purpose.
const sha256 = (...parts: Buffer[]) => crypto.createHash('sha256').update(Buffer.concat(parts)).digest();
const mth = (leaves: Buffer[]): Buffer => {
  if (leaves.length === 1) return leaves[0]!;
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return sha256(Buffer.from([1]), mth(leaves.slice(0, k)), mth(leaves.slice(k)));
};
const lengthPrefixed = (...fields: Buffer[]) => Buffer.concat(fields.flatMap((f) => [Buffer.from([(f.length >>> 24) & 255, (f.length >>> 16) & 255, (f.length >>> 8) & 255, f.length & 255]), f]));
const ascii = (text: string) => Buffer.from(text, 'utf8');
const referenceLeaf = (did: string, r: { topic: string; routingKey: string; value: Buffer }) =>
  sha256(Buffer.from([0]), lengthPrefixed(ascii('agentbus-event-signature/v2'), ascii('ed25519'), ascii(did), ascii(r.topic), ascii(r.routingKey), r.value));
const referenceRootInput = (did: string, size: number, root: Buffer) => lengthPrefixed(ascii('agentbus-batch-signature/v2'), ascii('ed25519'), ascii(did), Buffer.from([0, 0, (size >>> 8) & 255, size & 255]), root);


describe('Merkle tree (RFC 9162)', () => {
  const leavesOf = (n: number) => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`record ${i}`)));

  it.each([1, 2, 3, 5, 7, 8, 9, 31, 33, 64])('of %i leaves: the root of the definition, and every audit path climbs to it', (n) => {
    const leaves = leavesOf(n);
    const tree = merkleTree(leaves);
    expect(tree.root.equals(mth(leaves))).toBe(true);
    leaves.forEach((leaf, i) => expect(rootFromPath(leaf, i, n, tree.paths[i]!)?.equals(tree.root)).toBe(true));
  });

  it('refuses a path that does not fit the claimed index and size', () => {
    const leaves = leavesOf(7);
    const tree = merkleTree(leaves);
    const rootOf = (index: number, size: number, path: Buffer[]) => rootFromPath(leaves[3]!, index, size, path);
    expect(rootOf(3, 7, tree.paths[3]!)!.equals(tree.root)).toBe(true);
    expect(rootOf(7, 7, tree.paths[3]!)).toBeUndefined();
    expect(rootOf(-1, 7, tree.paths[3]!)).toBeUndefined();
    expect(rootOf(3, 7, tree.paths[3]!.slice(1))).toBeUndefined();
    expect(rootOf(3, 7, [...tree.paths[3]!, tree.root])).toBeUndefined();
    expect(rootOf(2, 7, tree.paths[3]!)?.equals(tree.root)).not.toBe(true);
  });
});

describe('batch signatures (v2, text: written before v3, still read)', () => {
  const key = generateSigningKey();
  const records = Array.from({ length: 100 }, (_, i) => ({ topic: 'p.task', routingKey: i % 2 ? 'task.created' : 'task.completed', value: Buffer.from(`0000000007${i.toString(16).padStart(4, '0')}`, 'hex') }));
  const headers = signRecordsV2(key, records);

  it('sign up to 64 records with one signature, each record with its own leaf and path', () => {
    const parsed = headers.map((h) => parseSignatureHeader(h) as BatchSignatureHeader);
    expect(parsed.map((h) => `${h.version} ${h.leaf}/${h.size}`)).toEqual([...Array.from({ length: 64 }, (_, i) => `2 ${i}/64`), ...Array.from({ length: 36 }, (_, i) => `2 ${i}/36`)]);
    expect(new Set(parsed.map((h) => h.signature.toString('hex'))).size).toBe(2);
    expect(Math.max(...parsed.map((h) => h.path.length))).toBe(6);
    expect(headers[0]).toMatch(new RegExp(`^v=2;alg=ed25519;kid=${key.did};sig=[A-Za-z0-9+/]{86}==;leaf=0/64;path=[A-Za-z0-9+/=]+$`));
  });

  it('a single record is signed v1, as signRecord does', () => {
    expect(signRecordsV2(key, [records[0]!])[0]).toMatch(/^v=1;/);
  });

  it('verify each record alone, with no cache', () => {
    records.forEach((r, i) => expect(verifyRecordSignature({ ...r, signature: headers[i] })).toBe(key.did));
  });

  it('with a cache, verify one Ed25519 signature per batch, not per record', () => {
    const verified = new VerifiedBatches();
    records.forEach((r, i) => expect(verifyRecordSignature({ ...r, signature: headers[i] }, verified)).toBe(key.did));
    expect(verified.counts).toEqual({ verified: 2, cached: 98 });
    // Every record of both batches was proven: nothing is left to keep.
    expect(verified.size).toBe(0);
  });

  it('keep a batch until as many records as it has were proven, then verify it again if read again', () => {
    const verified = new VerifiedBatches();
    records.slice(0, 63).forEach((r, i) => verifyRecordSignature({ ...r, signature: headers[i] }, verified));
    expect(verified.size).toBe(1);
    expect(verifyRecordSignature({ ...records[63]!, signature: headers[63] }, verified)).toBe(key.did);
    expect(verified.size).toBe(0);
    expect(verifyRecordSignature({ ...records[7]!, signature: headers[7] }, verified)).toBe(key.did);
    expect(verified.counts).toEqual({ verified: 2, cached: 63 });
  });

  it('with a cache, decides every record as without one, in any order and for any batch size', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const size of [2, 3, 5, 6, 7, 11, 17, 33, 63, 64]) {
      const batch = records.slice(0, size);
      const signed = signRecordsV2(key, batch);
      const verified = new VerifiedBatches();
      const order = batch.map((_, i) => i).sort(() => random() - 0.5);
      for (const i of order) {
        const h = parseSignatureHeader(signed[i]!) as BatchSignatureHeader;
        const tampered = [
          // Another leaf's position, a neighbour's path, one path hash changed: each fails alone, and must fail after a cache hit too.
          formatBatchSignatureHeader(h.keyId, h.signature, (h.leaf + 1) % size, size, h.path),
          signed[(i + 1) % size]!,
          ...h.path.map((_, j) => formatBatchSignatureHeader(h.keyId, h.signature, h.leaf, size, h.path.map((p, k) => (k === j ? crypto.randomBytes(32) : p)))),
        ];
        for (const signature of tampered) {
          const alone = codeOf(() => verifyRecordSignature({ ...batch[i]!, signature }));
          expect(codeOf(() => verifyRecordSignature({ ...batch[i]!, signature }, verified))).toBe(alone);
        }
        expect(verifyRecordSignature({ ...batch[i]!, signature: signed[i] }, verified)).toBe(key.did);
      }
      expect(verified.counts.verified).toBe(1);
    }
  });

  describe.each([
    ['without a cache', () => undefined],
    ['after the batch was verified and cached', () => {
      const verified = new VerifiedBatches();
      // All but the last record of each batch, so both batches stay cached.
      records.forEach((r, i) => i !== 63 && i !== 99 && verifyRecordSignature({ ...r, signature: headers[i] }, verified));
      expect(verified.size).toBe(2);
      return verified;
    }],
  ])('refuse a changed record %s', (_when, cache) => {
    const other = generateSigningKey();
    it.each([
      ['a value byte flipped', (i: number) => ({ ...records[i]!, value: Buffer.concat([records[i]!.value.subarray(0, -1), Buffer.from([0xff])]), signature: headers[i] })],
      ['another routing key', (i: number) => ({ ...records[i]!, routingKey: 'task.failed', signature: headers[i] })],
      ['another topic', (i: number) => ({ ...records[i]!, topic: 'p.agent', signature: headers[i] })],
      ["another record's leaf and path", (i: number) => ({ ...records[i]!, signature: headers[i + 1] })],
      ['another leaf index', (i: number) => ({ ...records[i]!, signature: headers[i]!.replace(`leaf=${i}/64`, `leaf=${i + 2}/64`) })],
      ['another batch size', (i: number) => ({ ...records[i]!, signature: headers[i]!.replace(`leaf=${i}/64`, `leaf=${i}/63`) })],
      ['the lowest hash of the path changed', (i: number) => {
        const h = parseSignatureHeader(headers[i]!) as BatchSignatureHeader;
        return { ...records[i]!, signature: formatBatchSignatureHeader(h.keyId, h.signature, h.leaf, h.size, [crypto.randomBytes(32), ...h.path.slice(1)]) };
      }],
      ['the highest hash of the path changed', (i: number) => {
        const h = parseSignatureHeader(headers[i]!) as BatchSignatureHeader;
        return { ...records[i]!, signature: formatBatchSignatureHeader(h.keyId, h.signature, h.leaf, h.size, [...h.path.slice(0, -1), crypto.randomBytes(32)]) };
      }],
      ['the key id of another key on the same signature and path', (i: number) => ({ ...records[i]!, signature: headers[i]!.replace(key.did, other.did) })],
    ])('%s', (_what, change) => {
      const verified = cache();
      for (const i of [0, 5, 62]) expect(codeOf(() => verifyRecordSignature(change(i), verified))).toBe(IdentityErrorCodes.signatureInvalid);
    });
  });

  it.each([
    ['a leaf outside the batch', (h: string) => h.replace('leaf=3/64', 'leaf=64/64'), /outside a batch/],
    ['a leaf that is not decimal', (h: string) => h.replace('leaf=3/64', 'leaf=0x3/64'), /not <index>\/<size>/],
    ['a path that is not whole hashes', (h: string) => h.replace(/path=.*$/, `path=${Buffer.alloc(33).toString('base64')}`), /SHA-256 hashes \(33 bytes\)/],
    ['fields out of order', (h: string) => h.replace(/;leaf=([^;]*);path=(.*)$/, ';path=$2;leaf=$1'), /malformed/],
  ])('refuse a malformed v2 header: %s', (_what, change, reason) => {
    let message = '';
    try {
      verifyRecordSignature({ ...records[3]!, signature: change(headers[3]!) });
    } catch (error) {
      message = (error as Error).message;
      expect((error as { code?: string }).code).toBe(IdentityErrorCodes.signatureInvalid);
    }
    expect(message).toMatch(reason);
  });

  it('OpenSSL verifies the root signature over an independently computed root', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentbus-batch-'));
    try {
      const batch = records.slice(64);
      const root = mth(batch.map((r) => referenceLeaf(key.did, r)));
      writeFileSync(join(dir, 'root-input.bin'), referenceRootInput(key.did, batch.length, root));
      writeFileSync(join(dir, 'root.sig'), parseSignatureHeader(headers[64]!).signature);
      writeFileSync(join(dir, 'agent.pub'), crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKeyBytesOfDid(key.did).toString('base64url') }, format: 'jwk' }).export({ format: 'pem', type: 'spki' }));
      const out = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', 'agent.pub', '-rawin', '-in', 'root-input.bin', '-sigfile', 'root.sig'], { cwd: dir }).toString();
      expect(out).toContain('Signature Verified Successfully');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('batchLeafHash', () => {
  it('is the leaf hash of signingInput for the leaf domain, for odd values, also from its cache', () => {
    const cases = [
      { algorithm: 'ed25519', keyId: 'did:key:z6MkA', topic: 'agentbus.task', routingKey: 'task.created', value: Buffer.from([0, 0, 0, 0, 7, 1, 2]) },
      { algorithm: 'ed25519', keyId: 'did:key:z6MkA', topic: 'agentbus.task', routingKey: undefined, value: null },
      { algorithm: 'ed25519', keyId: 'did:key:z6MkB', topic: 'töpic', routingKey: 'task.日本', value: Buffer.alloc(70_000, 9) },
    ];
    for (let round = 0; round < 2; round++) {
      for (const parts of cases) expect(Buffer.from(batchLeafHash(parts), 'latin1').equals(sha256(Buffer.from([0]), signingInput(parts, batchLeafDomain)))).toBe(true);
    }
  });
});

describe('compact batch signatures (v3, bytes)', () => {
  const key = generateSigningKey();
  const other = generateSigningKey();
  // Two trees: a full one of maxBatchLeaves (256) records and one of 44.
  const records = Array.from({ length: 300 }, (_, i) => ({ topic: 'p.task', routingKey: i % 2 ? 'task.created' : 'task.completed', value: Buffer.from(`0000000007${i.toString(16).padStart(4, '0')}`, 'hex') }));
  const headers = signRecords(key, records);
  // The layout of docs/identity.md, read with offsets written out here rather than the library's parser.
  const fields = (h: Buffer) => ({ marker: h[0], version: h[1], algorithm: h[2], publicKey: h.subarray(3, 35), signature: h.subarray(35, 99), leaf: h.readUInt16BE(99), size: h.readUInt16BE(101), path: h.subarray(103) });
  const rewrite = (h: Buffer, at: number, bytes: Buffer) => Buffer.concat([h.subarray(0, at), bytes, h.subarray(at + bytes.length)]);
  const u16 = (n: number) => Buffer.from([n >> 8, n & 255]);

  it('lay out marker, version, algorithm, public key, signature, leaf, size and path as documented', () => {
    const parsed = headers.map(fields);
    expect(maxBatchLeaves).toBe(256);
    expect(parsed.map((f) => `${f.marker} ${f.version} ${f.algorithm} ${f.leaf}/${f.size}`)).toEqual([
      ...Array.from({ length: 256 }, (_, i) => `255 3 1 ${i}/256`),
      ...Array.from({ length: 44 }, (_, i) => `255 3 1 ${i}/44`),
    ]);
    expect(parsed.every((f) => f.publicKey.equals(publicKeyBytesOfDid(key.did)))).toBe(true);
    expect(new Set(parsed.map((f) => f.signature.toString('hex'))).size).toBe(2);
    expect(headers[0]).toHaveLength(103 + 8 * 32);
    expect(headers.every((h) => (h.length - 103) % 32 === 0)).toBe(true);
    expect(parseSignatureHeader(signRecordsV2(key, records)[0]!)).toMatchObject({ version: 2 });
  });

  it('a single record is a tree of one: no path, and its leaf hash is the root', () => {
    const [single] = signRecords(key, [records[0]!]);
    expect(single).toHaveLength(103);
    expect(fields(single!)).toMatchObject({ leaf: 0, size: 1 });
    expect(verifyRecordSignature({ ...records[0]!, signature: single })).toBe(key.did);
  });

  it('verify each record alone, and with a cache one Ed25519 check per tree', () => {
    records.forEach((r, i) => expect(verifyRecordSignature({ ...r, signature: headers[i] })).toBe(key.did));
    const verified = new VerifiedBatches();
    records.forEach((r, i) => expect(verifyRecordSignature({ ...r, signature: headers[i] }, verified)).toBe(key.did));
    expect(verified.counts).toEqual({ verified: 2, cached: 298 });
  });

  it('with a cache, decides every record as without one, in any order and for any tree size', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const size of [2, 3, 5, 7, 17, 63, 64, 129]) {
      const batch = records.slice(0, size);
      const signed = signRecords(key, batch);
      const verified = new VerifiedBatches();
      for (const i of batch.map((_, j) => j).sort(() => random() - 0.5)) {
        const h = signed[i]!;
        const tampered = [rewrite(h, 99, u16((i + 1) % size)), signed[(i + 1) % size]!, ...Array.from({ length: fields(h).path.length / 32 }, (_, j) => rewrite(h, 103 + 32 * j, crypto.randomBytes(32)))];
        for (const signature of tampered) {
          const alone = codeOf(() => verifyRecordSignature({ ...batch[i]!, signature }));
          expect(codeOf(() => verifyRecordSignature({ ...batch[i]!, signature }, verified))).toBe(alone);
        }
        expect(verifyRecordSignature({ ...batch[i]!, signature: h }, verified)).toBe(key.did);
      }
      expect(verified.counts.verified).toBe(1);
    }
  });

  describe.each([
    ['without a cache', () => undefined],
    ['after the trees were verified and cached', () => {
      const verified = new VerifiedBatches();
      // All but the last record of each tree, so both trees stay cached.
      records.forEach((r, i) => i !== 255 && i !== 299 && verifyRecordSignature({ ...r, signature: headers[i] }, verified));
      expect(verified.size).toBe(2);
      return verified;
    }],
  ])('refuse a changed record %s', (_when, cache) => {
    it.each([
      ['a value byte flipped', (i: number) => ({ ...records[i]!, value: Buffer.concat([records[i]!.value.subarray(0, -1), Buffer.from([0xff])]), signature: headers[i] })],
      ['another routing key', (i: number) => ({ ...records[i]!, routingKey: 'task.failed', signature: headers[i] })],
      ['another topic', (i: number) => ({ ...records[i]!, topic: 'p.agent', signature: headers[i] })],
      ["another record's header", (i: number) => ({ ...records[i]!, signature: headers[i + 1] })],
      ['another leaf index', (i: number) => ({ ...records[i]!, signature: rewrite(headers[i]!, 99, u16(i + 2)) })],
      ['another tree size', (i: number) => ({ ...records[i]!, signature: rewrite(headers[i]!, 101, u16(255)) })],
      ['the lowest hash of the path changed', (i: number) => ({ ...records[i]!, signature: rewrite(headers[i]!, 103, crypto.randomBytes(32)) })],
      ['the highest hash of the path changed', (i: number) => ({ ...records[i]!, signature: rewrite(headers[i]!, 103 + 7 * 32, crypto.randomBytes(32)) })],
      ["another key's public key on the same signature and path", (i: number) => ({ ...records[i]!, signature: rewrite(headers[i]!, 3, publicKeyBytesOfDid(other.did)) })],
      ['a signature byte flipped', (i: number) => ({ ...records[i]!, signature: rewrite(headers[i]!, 40, Buffer.from([headers[i]![40]! ^ 1])) })],
    ])('%s', (_what, change) => {
      const verified = cache();
      for (const i of [0, 5, 62, 253]) expect(codeOf(() => verifyRecordSignature(change(i), verified))).toBe(IdentityErrorCodes.signatureInvalid);
    });
  });

  it.each([
    ['shorter than the fixed fields', (h: Buffer) => h.subarray(0, 102), /at least 103 bytes, got 102/],
    ['an unknown version', (h: Buffer) => rewrite(h, 1, Buffer.from([5])), /unknown signature version 5/],
    ['an unknown algorithm', (h: Buffer) => rewrite(h, 2, Buffer.from([2])), /unknown algorithm 0x02/],
    ['a leaf outside the tree', (h: Buffer) => rewrite(h, 99, u16(256)), /leaf 256 is outside a tree of 256/],
    ['a tree of no records', (h: Buffer) => rewrite(h, 99, Buffer.from([0, 0, 0, 0])), /outside a tree of 0/],
    ['a path that is not whole hashes', (h: Buffer) => h.subarray(0, h.length - 1), /SHA-256 hashes \(255 bytes\)/],
    ['a path of more than 16 hashes', (h: Buffer) => Buffer.concat([h, Buffer.alloc(9 * 32)]), /at most 16 SHA-256 hashes/],
    ['a path that does not fit the leaf and size', (h: Buffer) => h.subarray(0, h.length - 32), /does not fit leaf 3 of a batch of 256/],
  ])('refuse a malformed v3 header: %s', (_what, change, reason) => {
    let error: Error | undefined;
    try {
      verifyRecordSignature({ ...records[3]!, signature: change(headers[3]!) });
    } catch (e) {
      error = e as Error;
    }
    expect((error as { code?: string } | undefined)?.code).toBe(IdentityErrorCodes.signatureInvalid);
    expect(error!.message).toMatch(reason);
  });

  it('read v1 and v2 headers as the bytes Kafka delivers, as well as text', () => {
    const [v2, , v1] = [signRecordsV2(key, records.slice(0, 2))[0]!, undefined, signRecordsV2(key, [records[0]!])[0]!];
    expect(verifyRecordSignature({ ...records[0]!, signature: Buffer.from(v2) })).toBe(key.did);
    expect(verifyRecordSignature({ ...records[0]!, signature: Buffer.from(v1) })).toBe(key.did);
  });

  it('OpenSSL verifies the signature of a v3 header over an independently computed root, with the key from the header bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentbus-v3-'));
    try {
      const batch = records.slice(256);
      const h = fields(headers[256]!);
      const root = mth(batch.map((r) => referenceLeaf(key.did, r)));
      // The did:key is rebuilt from the header's 32 bytes, as another implementation would.
      const did = `did:key:z${base58Encode(Buffer.concat([Buffer.from([0xed, 0x01]), h.publicKey]))}`;
      expect(did).toBe(key.did);
      writeFileSync(join(dir, 'root-input.bin'), referenceRootInput(did, h.size, root));
      writeFileSync(join(dir, 'root.sig'), h.signature);
      writeFileSync(join(dir, 'agent.pub'), crypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(h.publicKey).toString('base64url') }, format: 'jwk' }).export({ format: 'pem', type: 'spki' }));
      const out = execFileSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', 'agent.pub', '-rawin', '-in', 'root-input.bin', '-sigfile', 'root.sig'], { cwd: dir }).toString();
      expect(out).toContain('Signature Verified Successfully');
      // And every record's path climbs to that root in the reference tree.
      batch.forEach((r, i) => {
        const path = fields(headers[256 + i]!).path;
        expect(rootFromPath(referenceLeaf(key.did, r), i, batch.length, Array.from({ length: path.length / 32 }, (_, j) => path.subarray(32 * j, 32 * j + 32)))?.equals(root)).toBe(true);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a header OpenSSL signs, laid out by hand, verifies', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agentbus-v3-openssl-'));
    try {
      execFileSync('openssl', ['genpkey', '-algorithm', 'ed25519', '-out', 'k.pem'], { cwd: dir });
      const pub = crypto.createPublicKey(crypto.createPrivateKey(readFileSync(join(dir, 'k.pem')))).export({ format: 'jwk' }).x!;
      const raw = Buffer.from(pub, 'base64url');
      const did = `did:key:z${base58Encode(Buffer.concat([Buffer.from([0xed, 0x01]), raw]))}`;
      const batch = records.slice(0, 3);
      const leaves = batch.map((r) => referenceLeaf(did, r));
      writeFileSync(join(dir, 'in.bin'), referenceRootInput(did, 3, mth(leaves)));
      execFileSync('openssl', ['pkeyutl', '-sign', '-inkey', 'k.pem', '-rawin', '-in', 'in.bin', '-out', 'sig.bin'], { cwd: dir });
      const sig = readFileSync(join(dir, 'sig.bin'));
      // Leaf 2 of 3: its path is the root of leaves 0 and 1 (RFC 9162 PATH(2, D[3]) = [MTH(D[0:2])]).
      const header = Buffer.concat([Buffer.from([0xff, 3, 1]), raw, sig, u16(2), u16(3), mth(leaves.slice(0, 2))]);
      expect(verifyRecordSignature({ ...batch[2]!, signature: header })).toBe(did);
      expect(codeOf(() => verifyRecordSignature({ ...batch[1]!, signature: header }))).toBe(IdentityErrorCodes.signatureInvalid);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
