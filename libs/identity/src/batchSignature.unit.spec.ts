import { execFileSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publicKeyBytesOfDid } from './didKey';
import { IdentityErrorCodes } from './errors';
import { leafHash, merkleTree, rootFromPath } from './merkleTree';
import { maxBatchLeaves, signRecords, VerifiedBatches, verifyRecordSignature } from './recordSignature';
import { formatBatchSignatureHeader, parseSignatureHeader, type BatchSignatureHeader } from './signatureHeader';
import { generateSigningKey } from './signingKey';
import { batchLeafDomain, signingDomain, signingInput, signingInputParts } from './signingInput';
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

describe('batch signatures (v2)', () => {
  const key = generateSigningKey();
  const records = Array.from({ length: 100 }, (_, i) => ({ topic: 'p.task', routingKey: i % 2 ? 'task.created' : 'task.completed', value: Buffer.from(`0000000007${i.toString(16).padStart(4, '0')}`, 'hex') }));
  const headers = signRecords(key, records);

  it('sign up to 64 records with one signature, each record with its own leaf and path', () => {
    expect(maxBatchLeaves).toBe(64);
    const parsed = headers.map((h) => parseSignatureHeader(h) as BatchSignatureHeader);
    expect(parsed.map((h) => `${h.version} ${h.leaf}/${h.size}`)).toEqual([...Array.from({ length: 64 }, (_, i) => `2 ${i}/64`), ...Array.from({ length: 36 }, (_, i) => `2 ${i}/36`)]);
    expect(new Set(parsed.map((h) => h.signature.toString('hex'))).size).toBe(2);
    expect(Math.max(...parsed.map((h) => h.path.length))).toBe(6);
    expect(headers[0]).toMatch(new RegExp(`^v=2;alg=ed25519;kid=${key.did};sig=[A-Za-z0-9+/]{86}==;leaf=0/64;path=[A-Za-z0-9+/=]+$`));
  });

  it('a single record is signed v1, as signRecord does', () => {
    expect(signRecords(key, [records[0]!])[0]).toMatch(/^v=1;/);
  });

  it('verify each record alone, with no cache', () => {
    records.forEach((r, i) => expect(verifyRecordSignature({ ...r, signature: headers[i] })).toBe(key.did));
  });

  it('with a cache, verify one Ed25519 signature per batch, not per record', () => {
    const verified = new VerifiedBatches();
    records.forEach((r, i) => expect(verifyRecordSignature({ ...r, signature: headers[i] }, verified)).toBe(key.did));
    expect(verified.counts).toEqual({ verified: 2, cached: 98 });
    expect(verified.size).toBe(2);
  });

  it('with a cache, decides every record as without one, in any order and for any batch size', () => {
    let seed = 42;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (const size of [2, 3, 5, 6, 7, 11, 17, 33, 63, 64]) {
      const batch = records.slice(0, size);
      const signed = signRecords(key, batch);
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
      records.forEach((r, i) => verifyRecordSignature({ ...r, signature: headers[i] }, verified));
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

describe('signingInputParts', () => {
  it('are the bytes of signingInput, for every domain and odd values, also from its cache', () => {
    const cases = [
      { algorithm: 'ed25519', keyId: 'did:key:z6MkA', topic: 'agentbus.task', routingKey: 'task.created', value: Buffer.from([0, 0, 0, 0, 7, 1, 2]) },
      { algorithm: 'ed25519', keyId: 'did:key:z6MkA', topic: 'agentbus.task', routingKey: undefined, value: null },
      { algorithm: 'ed25519', keyId: 'did:key:z6MkB', topic: 'töpic', routingKey: 'task.日本', value: Buffer.alloc(70_000, 9) },
    ];
    for (const domain of [signingDomain, batchLeafDomain]) {
      for (let round = 0; round < 2; round++) {
        for (const parts of cases) expect(Buffer.concat(signingInputParts(parts, domain)).equals(signingInput(parts, domain))).toBe(true);
      }
    }
  });
});
