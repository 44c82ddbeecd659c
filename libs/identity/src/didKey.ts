import { createPublicKey, type KeyObject } from 'node:crypto';
import { base58Decode, base58Encode } from './base58';
import { DidInvalidError } from './errors';

/**
 * did:key for Ed25519: `did:key:z` + base58btc(multicodec ed25519-pub, the varint 0xed 0x01, then
 * the 32-byte public key). https://w3c-ccg.github.io/did-method-key/
 */
const prefix = 'did:key:z';
const ed25519Multicodec = Buffer.from([0xed, 0x01]);
// SubjectPublicKeyInfo for Ed25519 (RFC 8410) before the 32 raw bytes.
const spkiPrefix = Buffer.from('302a300506032b6570032100', 'hex');

export const didKeyFromPublicKey = (publicKey: KeyObject): string => {
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(spkiPrefix.length);
  return prefix + base58Encode(Buffer.concat([ed25519Multicodec, raw]));
};

/** The 32 raw public-key bytes a did:key carries; throws DidInvalidError for anything but an Ed25519 did:key. */
export const publicKeyBytesOfDid = (did: string): Buffer => {
  if (typeof did !== 'string' || !did.startsWith(prefix)) throw new DidInvalidError(String(did), 'must start with did:key:z (base58btc)');
  const bytes = base58Decode(did.slice(prefix.length));
  if (!bytes) throw new DidInvalidError(did, 'not base58btc');
  if (bytes.length < 2 || !bytes.subarray(0, 2).equals(ed25519Multicodec)) {
    throw new DidInvalidError(did, `not an Ed25519 key (multicodec prefix 0x${bytes.subarray(0, 2).toString('hex')}, expected 0xed01)`);
  }
  if (bytes.length !== 34) throw new DidInvalidError(did, `an Ed25519 key is 32 bytes, got ${bytes.length - 2}`);
  return bytes.subarray(2);
};

// Importing a key costs more than verifying with it; a reader sees few distinct signers.
const cacheLimit = 10_000;
const imported = new Map<string, KeyObject>();

/** The verification key of a did:key, imported once per DID. */
export const publicKeyOfDid = (did: string): KeyObject => {
  let key = imported.get(did);
  if (!key) {
    key = createPublicKey({ key: Buffer.concat([spkiPrefix, publicKeyBytesOfDid(did)]), format: 'der', type: 'spki' });
    if (imported.size >= cacheLimit) imported.clear();
    imported.set(did, key);
  }
  return key;
};

export const isDidKey = (did: string): boolean => {
  try {
    publicKeyBytesOfDid(did);
    return true;
  } catch {
    return false;
  }
};

const byKeyBytes = new Map<string, { did: string; key: KeyObject }>();

/** The did:key of 32 raw Ed25519 public-key bytes and its verification key, made once per key. */
export const ed25519KeyOfBytes = (raw: Buffer): { did: string; key: KeyObject } => {
  const id = raw.toString('latin1');
  let known = byKeyBytes.get(id);
  if (!known) {
    if (raw.length !== 32) throw new DidInvalidError(raw.toString('hex'), `an Ed25519 key is 32 bytes, got ${raw.length}`);
    const did = prefix + base58Encode(Buffer.concat([ed25519Multicodec, raw]));
    known = { did, key: publicKeyOfDid(did) };
    if (byKeyBytes.size >= cacheLimit) byKeyBytes.clear();
    byKeyBytes.set(id, known);
  }
  return known;
};
