import { hashBytes } from './merkleTree';
import { SignatureInvalidError } from './errors';

export const signatureHeader = 'agentbus-signature';
export const signatureAlgorithm = 'ed25519';
const ed25519SignatureBytes = 64;
/** A batch larger than this is refused on read; the SDK signs at most `maxBatchLeaves` records per tree. */
const maxTreeSize = 1 << 20;

/** v1: one Ed25519 signature over one record's signing input. */
export interface SingleSignatureHeader {
  version: 1;
  algorithm: typeof signatureAlgorithm;
  keyId: string;
  signature: Buffer;
}

/** v2: one Ed25519 signature over the Merkle root of a batch; the record's leaf index, batch size and audit path. */
export interface BatchSignatureHeader {
  version: 2;
  algorithm: typeof signatureAlgorithm;
  keyId: string;
  signature: Buffer;
  leaf: number;
  size: number;
  path: Buffer[];
  /** The path's hashes as one run of latin1 text (a character per byte), as the tree code reads them. */
  pathText: string;
}

/**
 * v3: the signature of v2 (the same leaves, tree and root input), carried as bytes: a Kafka
 * header value that is a Buffer, 359 bytes in a tree of 256 (295 in one of 64, where v2's text is ~440). The
 * key is the raw Ed25519 public key; `keyId` is the did:key made from it.
 */
export interface CompactSignatureHeader extends Omit<BatchSignatureHeader, 'version' | 'path'> {
  version: 3;
  /** The 32 raw bytes of the key. */
  publicKey: Buffer;
}

export type SignatureHeader = SingleSignatureHeader | BatchSignatureHeader | CompactSignatureHeader;
/** What a batch signature (v2 or v3) carries: one signature over a root, this record's place and path. */
export type TreeSignatureHeader = Omit<BatchSignatureHeader, 'version' | 'path'> & { version: 2 | 3 };

/** `v=1;alg=ed25519;kid=<did:key>;sig=<base64 of the 64-byte signature>` */
export const formatSignatureHeader = (keyId: string, signature: Buffer): string => `v=1;alg=${signatureAlgorithm};kid=${keyId};sig=${signature.toString('base64')}`;

/** `v=2;alg=ed25519;kid=<did:key>;sig=<base64>;leaf=<index>/<size>;path=<base64 of the concatenated 32-byte hashes>` */
export const formatBatchSignatureHeader = (keyId: string, signature: Buffer, leaf: number, size: number, path: readonly Buffer[]): string =>
  `v=2;alg=${signatureAlgorithm};kid=${keyId};sig=${signature.toString('base64')};leaf=${leaf}/${size};path=${Buffer.concat(path).toString('base64')}`;

/**
 * v3 byte layout (docs/identity.md): 0xFF (never a byte of UTF-8 text, so no v1/v2 header and no
 * text transcription is mistaken for it), version 0x03, algorithm 0x01 (Ed25519), the 32-byte
 * public key, the 64-byte signature, leaf index and tree size (2 bytes each, big-endian), then
 * the audit path's 32-byte hashes.
 */
export const compactMarker = 0xff;
const compactVersion = 3;
const compactEd25519 = 1;
const publicKeyBytes = 32;
const compactKeyAt = 3;
const compactSignatureAt = compactKeyAt + publicKeyBytes;
const compactLeafAt = compactSignatureAt + ed25519SignatureBytes;
const compactPathAt = compactLeafAt + 4;
/** v3 trees: the size is 2 bytes, so a path has at most 16 hashes. */
export const maxCompactTreeSize = 0xffff;
const maxCompactPath = 16;

/**
 * The v3 header value: `prefix` is `compactPrefix(publicKey, signature)`, shared by the records of
 * one tree; then this record's leaf index, the tree size and its audit path (the hashes
 * concatenated, as latin1 text).
 */
export const formatCompactSignatureHeader = (prefix: Buffer, leaf: number, size: number, pathText: string): Buffer => {
  const out = Buffer.allocUnsafe(compactPathAt + pathText.length);
  out.set(prefix.subarray(0, compactLeafAt), 0);
  out.writeUInt16BE(leaf, compactLeafAt);
  out.writeUInt16BE(size, compactLeafAt + 2);
  out.write(pathText, compactPathAt, pathText.length, 'latin1');
  return out;
};

/** Marker, version, algorithm, public key and signature: the bytes every record of a v3 tree starts with. */
export const compactPrefix = (publicKey: Buffer, signature: Buffer): Buffer => {
  if (publicKey.length !== publicKeyBytes || signature.length !== ed25519SignatureBytes) throw new RangeError('an Ed25519 public key is 32 bytes and a signature 64');
  return Buffer.concat([Buffer.from([compactMarker, compactVersion, compactEd25519]), publicKey, signature]);
};

export const isCompactHeader = (value: Buffer): boolean => value.length > 0 && value[0] === compactMarker;

/**
 * Whether `value` is a v3 header that parses: the same checks as parseCompactSignatureHeader, but
 * a boolean, for a reader that then looks the tree up before parsing anything.
 */
export const isWellFormedCompact = (value: string | Buffer | undefined): value is Buffer => {
  if (value === undefined || typeof value === 'string' || value.length < compactPathAt) return false;
  if (value[0] !== compactMarker || value[1] !== compactVersion || value[2] !== compactEd25519) return false;
  const size = u16(value, compactLeafAt + 2);
  const pathLength = value.length - compactPathAt;
  return size >= 1 && u16(value, compactLeafAt) < size && pathLength % hashBytes === 0 && pathLength / hashBytes <= maxCompactPath;
};

// Two bytes, big-endian, of a buffer already known to be long enough: read per record, without readUInt16BE's checks.
const u16 = (bytes: Buffer, at: number): number => (bytes[at]! << 8) | bytes[at + 1]!;

/** A v3 header's public key and signature, as latin1 text: the name of the tree it signs. */
export const compactTreeId = (value: Buffer): string => value.toString('latin1', compactKeyAt, compactLeafAt);

/** A v3 header's leaf index, tree size and path (latin1 text), for a reader that already knows its tree. */
export const compactPlace = (value: Buffer): { leaf: number; size: number; pathText: string } => ({
  leaf: u16(value, compactLeafAt),
  size: u16(value, compactLeafAt + 2),
  pathText: value.toString('latin1', compactPathAt),
});

/**
 * Strict: exactly the layout, or SIGNATURE_INVALID with the reason. `didOf` names the key (the
 * did:key of the 32 bytes); it is called only once the layout is right.
 */
export const parseCompactSignatureHeader = (bytes: Buffer, didOf: (publicKey: Buffer) => string): CompactSignatureHeader => {
  if (bytes.length < compactPathAt) throw new SignatureInvalidError(`a v3 header is at least ${compactPathAt} bytes, got ${bytes.length}`);
  if (bytes[0] !== compactMarker) throw new SignatureInvalidError(`a v3 header starts with 0x${compactMarker.toString(16)}`);
  if (bytes[1] !== compactVersion) throw new SignatureInvalidError(`unknown signature version ${bytes[1]} of a binary header`);
  if (bytes[2] !== compactEd25519) throw new SignatureInvalidError(`unknown algorithm 0x${bytes[2]!.toString(16).padStart(2, '0')} (0x01 is Ed25519)`);
  const publicKey = bytes.subarray(compactKeyAt, compactSignatureAt);
  const keyId = didOf(publicKey);
  const { leaf, size, pathText } = compactPlace(bytes);
  if (size < 1 || leaf >= size) throw new SignatureInvalidError(`leaf ${leaf} is outside a tree of ${size} (1 to ${maxCompactTreeSize})`, keyId);
  if (pathText.length % hashBytes !== 0 || pathText.length / hashBytes > maxCompactPath) throw new SignatureInvalidError(`path is not a list of at most ${maxCompactPath} SHA-256 hashes (${pathText.length} bytes)`, keyId);
  return { version: 3, algorithm: signatureAlgorithm, keyId, publicKey, signature: bytes.subarray(compactSignatureAt, compactLeafAt), leaf, size, pathText };
};

const base64 = /^[A-Za-z0-9+/]*={0,2}$/;
const decimal = /^(0|[1-9][0-9]{0,7})$/;

const base64Field = (text: string, what: string, keyId: string): Buffer => {
  if (text.length % 4 !== 0 || !base64.test(text)) throw new SignatureInvalidError(`${what} is not base64`, keyId);
  return Buffer.from(text, 'base64');
};

/** Strict: exactly the fields of the version, in order; anything else is SIGNATURE_INVALID with the reason. */
export const parseSignatureHeader = (text: string): SignatureHeader => {
  const fields = text.split(';');
  const names = fields.map((f) => f.slice(0, f.indexOf('='))).join(',');
  const values = fields.map((f) => f.slice(f.indexOf('=') + 1));
  const isV1 = names === 'v,alg,kid,sig';
  if (!isV1 && names !== 'v,alg,kid,sig,leaf,path') throw new SignatureInvalidError('malformed header: expected v=1;alg=…;kid=…;sig=… or v=2;alg=…;kid=…;sig=…;leaf=…;path=…');
  const [version, algorithm, keyId, sig] = values as [string, string, string, string];
  if (version !== (isV1 ? '1' : '2')) throw new SignatureInvalidError(`unknown signature version ${JSON.stringify(version.slice(0, 20))}${['1', '2'].includes(version) ? ' for these fields' : ''}`);
  if (algorithm !== signatureAlgorithm) throw new SignatureInvalidError(`unknown algorithm ${JSON.stringify(algorithm.slice(0, 40))}`, keyId);
  const signature = base64Field(sig, 'signature', keyId);
  if (signature.length !== ed25519SignatureBytes) throw new SignatureInvalidError(`an Ed25519 signature is ${ed25519SignatureBytes} bytes, got ${signature.length}`, keyId);
  if (isV1) return { version: 1, algorithm: signatureAlgorithm, keyId, signature };
  const [index, size, ...extra] = values[4]!.split('/');
  if (extra.length > 0 || !index || !size || !decimal.test(index) || !decimal.test(size)) throw new SignatureInvalidError('leaf is not <index>/<size> in decimal', keyId);
  const leaf = Number(index);
  const count = Number(size);
  if (count < 1 || count > maxTreeSize || leaf >= count) throw new SignatureInvalidError(`leaf ${leaf} is outside a batch of ${count} (1 to ${maxTreeSize})`, keyId);
  const pathBytes = base64Field(values[5]!, 'path', keyId);
  if (pathBytes.length % hashBytes !== 0 || pathBytes.length / hashBytes > 32) throw new SignatureInvalidError(`path is not a list of at most 32 SHA-256 hashes (${pathBytes.length} bytes)`, keyId);
  const path = Array.from({ length: pathBytes.length / hashBytes }, (_, i) => pathBytes.subarray(i * hashBytes, (i + 1) * hashBytes));
  return { version: 2, algorithm: signatureAlgorithm, keyId, signature, leaf, size: count, path, pathText: pathBytes.toString('latin1') };
};
