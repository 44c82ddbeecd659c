import { execFileSync } from 'node:child_process';
import { createPublicKey, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { base58Decode, base58Encode } from './base58';
import { publicKeyBytesOfDid, publicKeyOfDid } from './didKey';
import { IdentityErrorCodes, isIdentityRefusal } from './errors';
import { signRecord, verifyRecordSignature } from './recordSignature';
import { formatSignatureHeader, parseSignatureHeader } from './signatureHeader';
import { generateSigningKey, signingKeyFromPem } from './signingKey';
import { signingInput } from './signingInput';
import { codeOf } from './identityTesting.spec-support';


describe('base58btc', () => {
  it('encodes the draft-msporny-base58 examples and decodes them back', () => {
    expect(base58Encode(Buffer.from('Hello World!'))).toBe('2NEpo7TZRRrLZSi2U');
    expect(base58Encode(Buffer.from('0000287fb4cd', 'hex'))).toBe('11233QC4');
    expect(base58Decode('11233QC4')!.toString('hex')).toBe('0000287fb4cd');
    expect(base58Decode('0OIl')).toBeUndefined();
  });
});

describe('did:key', () => {
  it('names an Ed25519 key z6Mk… and gives back the same public key', () => {
    const key = generateSigningKey();
    expect(key.did).toMatch(/^did:key:z6Mk[1-9A-HJ-NP-Za-km-z]{44}$/);
    const raw = publicKeyBytesOfDid(key.did);
    expect(raw).toHaveLength(32);
    expect(publicKeyOfDid(key.did).export({ format: 'jwk' }).x).toBe(raw.toString('base64url'));
  });

  it('refuses a did:key that is not Ed25519 (a secp256k1 key, 0xe701) or is not a did:key', () => {
    const secp = 'did:key:z' + base58Encode(Buffer.concat([Buffer.from([0xe7, 0x01]), Buffer.alloc(33, 2)]));
    expect(codeOf(() => publicKeyBytesOfDid(secp))).toBe(IdentityErrorCodes.didInvalid);
    expect(codeOf(() => publicKeyBytesOfDid('did:web:example.com'))).toBe(IdentityErrorCodes.didInvalid);
    expect(codeOf(() => publicKeyBytesOfDid('did:key:z6Mk0OIl'))).toBe(IdentityErrorCodes.didInvalid);
  });
});

describe('SigningKey', () => {
  it('never shows its private key when logged, inspected or serialised', () => {
    const key = generateSigningKey();
    const pem = key.exportPem();
    const body = pem.split('\n')[1]!;
    for (const shown of [JSON.stringify(key), inspect(key), String(key), JSON.stringify({ key })]) expect(shown).not.toContain(body);
    expect(JSON.parse(JSON.stringify(key))).toEqual({ did: key.did });
  });

  it('loads its PKCS#8 PEM back to the same DID, and refuses other keys without quoting them', () => {
    const key = generateSigningKey();
    expect(signingKeyFromPem(key.exportPem()).did).toBe(key.did);
    const rsa = execFileSync('openssl', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:1024'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
    let message = '';
    try {
      signingKeyFromPem(rsa, 'rsa.key');
    } catch (error) {
      message = JSON.stringify(error) + (error as Error).message;
      expect((error as { code: string }).code).toBe(IdentityErrorCodes.signingKeyInvalid);
    }
    expect(message).toContain('rsa.key');
    expect(message).not.toContain(rsa.split('\n')[1]!);
    expect(codeOf(() => signingKeyFromPem('-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----'))).toBe(IdentityErrorCodes.signingKeyInvalid);
  });
});

describe('signing input', () => {
  it('is the length-prefixed fields of docs/identity.md, in order', () => {
    const lp = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
    const value = Buffer.from([0, 0, 0, 0, 7, 1, 2, 3]);
    const expected = Buffer.concat(
      ['agentbus-event-signature/v1', 'ed25519', 'did:key:z6MkX', 'agentbus.task', 'task.completed'].map((s) => lp(Buffer.from(s))).concat(lp(value)),
    );
    expect(signingInput({ algorithm: 'ed25519', keyId: 'did:key:z6MkX', topic: 'agentbus.task', routingKey: 'task.completed', value })).toEqual(expected);
  });

  it('differs when a field moves across the boundary of another', () => {
    const a = signingInput({ algorithm: 'ed25519', keyId: 'k', topic: 'ab', routingKey: 'c', value: null });
    const b = signingInput({ algorithm: 'ed25519', keyId: 'k', topic: 'a', routingKey: 'bc', value: null });
    expect(a.equals(b)).toBe(false);
  });
});

describe('record signatures', () => {
  const key = generateSigningKey();
  const record = { topic: 'p.task', routingKey: 'task.completed', value: Buffer.from('00000000070a0b0c', 'hex') };
  const signature = signRecord(key, record);

  it('verify to the signer, and name the header format', () => {
    expect(signature).toMatch(new RegExp(`^v=1;alg=ed25519;kid=${key.did};sig=[A-Za-z0-9+/]{86}==$`));
    expect(verifyRecordSignature({ ...record, signature })).toBe(key.did);
  });

  it.each([
    ['no header', { signature: undefined }, IdentityErrorCodes.eventUnsigned],
    ['a value byte flipped', { value: Buffer.from('00000000070a0b0d', 'hex') }, IdentityErrorCodes.signatureInvalid],
    ['another routing key', { routingKey: 'task.completed.w-1' }, IdentityErrorCodes.signatureInvalid],
    ['another topic (cross-topic replay)', { topic: 'p.agent' }, IdentityErrorCodes.signatureInvalid],
  ])('refuse %s', (_what, change, code) => {
    expect(codeOf(() => verifyRecordSignature({ ...record, signature, ...change }))).toBe(code);
  });

  it('refuse a signature relabelled with another key id, or made by another key', () => {
    const other = generateSigningKey();
    const relabelled = signature.replace(key.did, other.did);
    expect(codeOf(() => verifyRecordSignature({ ...record, signature: relabelled }))).toBe(IdentityErrorCodes.signatureInvalid);
    const byOther = formatSignatureHeader(key.did, parseSignatureHeader(signRecord(other, record)).signature);
    expect(codeOf(() => verifyRecordSignature({ ...record, signature: byOther }))).toBe(IdentityErrorCodes.signatureInvalid);
  });

  it.each([
    ['wrong length', `v=1;alg=ed25519;kid=${key.did};sig=${Buffer.alloc(63).toString('base64')}`, /64 bytes, got 63/],
    ['not base64', `v=1;alg=ed25519;kid=${key.did};sig=${'!'.repeat(88)}`, /not base64/],
    ['unknown algorithm', `v=1;alg=rsa-pss;kid=${key.did};sig=${Buffer.alloc(64).toString('base64')}`, /unknown algorithm/],
    ['unknown version', `v=2;alg=ed25519;kid=${key.did};sig=${Buffer.alloc(64).toString('base64')}`, /unknown signature version/],
    ['garbage', 'hello', /malformed/],
    ['a key id that is not Ed25519', `v=1;alg=ed25519;kid=did:key:z${base58Encode(Buffer.concat([Buffer.from([0xe7, 0x01]), Buffer.alloc(33, 2)]))};sig=${Buffer.alloc(64).toString('base64')}`, /not an Ed25519 key/],
  ])('refuse a malformed header: %s', (_what, header, reason) => {
    let error: unknown;
    try {
      verifyRecordSignature({ ...record, signature: header });
    } catch (e) {
      error = e;
    }
    expect(isIdentityRefusal(error)).toBe(true);
    expect((error as { code: string }).code).toBe(IdentityErrorCodes.signatureInvalid);
    expect((error as Error).message).toMatch(reason);
  });
});

describe('interoperability with OpenSSL 3 (pkeyutl -rawin), through files', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'agentbus-identity-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
  const record = { topic: 'agentbus.task', routingKey: 'task.created', value: Buffer.from('0000000001deadbeef', 'hex') };

  it('a signature OpenSSL makes over the signing input verifies in Node', () => {
    openssl('genpkey', '-algorithm', 'ed25519', '-out', 'openssl.key');
    const did = signingKeyFromPem(readFileSync(join(dir, 'openssl.key'))).did;
    writeFileSync(join(dir, 'input.bin'), signingInput({ algorithm: 'ed25519', keyId: did, ...record }));
    openssl('pkeyutl', '-sign', '-inkey', 'openssl.key', '-rawin', '-in', 'input.bin', '-out', 'openssl.sig');
    const signature = readFileSync(join(dir, 'openssl.sig'));
    expect(signature).toHaveLength(64);
    expect(verify(null, readFileSync(join(dir, 'input.bin')), publicKeyOfDid(did), signature)).toBe(true);
    expect(verifyRecordSignature({ ...record, signature: formatSignatureHeader(did, signature) })).toBe(did);
  });

  it('a signature agentbus makes verifies in OpenSSL with the public key taken from the did:key', () => {
    const key = generateSigningKey();
    const header = parseSignatureHeader(signRecord(key, record));
    writeFileSync(join(dir, 'node-input.bin'), signingInput({ algorithm: 'ed25519', keyId: key.did, ...record }));
    writeFileSync(join(dir, 'node.sig'), header.signature);
    writeFileSync(join(dir, 'node.pub'), createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKeyBytesOfDid(key.did).toString('base64url') }, format: 'jwk' }).export({ format: 'pem', type: 'spki' }));
    expect(openssl('pkeyutl', '-verify', '-pubin', '-inkey', 'node.pub', '-rawin', '-in', 'node-input.bin', '-sigfile', 'node.sig')).toContain('Signature Verified Successfully');
    writeFileSync(join(dir, 'node-input.bin'), Buffer.concat([readFileSync(join(dir, 'node-input.bin')), Buffer.from([0])]));
    expect(() => openssl('pkeyutl', '-verify', '-pubin', '-inkey', 'node.pub', '-rawin', '-in', 'node-input.bin', '-sigfile', 'node.sig')).toThrow();
  });
});
