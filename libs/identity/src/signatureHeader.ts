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
}

export type SignatureHeader = SingleSignatureHeader | BatchSignatureHeader;

/** `v=1;alg=ed25519;kid=<did:key>;sig=<base64 of the 64-byte signature>` */
export const formatSignatureHeader = (keyId: string, signature: Buffer): string => `v=1;alg=${signatureAlgorithm};kid=${keyId};sig=${signature.toString('base64')}`;

/** `v=2;alg=ed25519;kid=<did:key>;sig=<base64>;leaf=<index>/<size>;path=<base64 of the concatenated 32-byte hashes>` */
export const formatBatchSignatureHeader = (keyId: string, signature: Buffer, leaf: number, size: number, path: readonly Buffer[]): string =>
  `v=2;alg=${signatureAlgorithm};kid=${keyId};sig=${signature.toString('base64')};leaf=${leaf}/${size};path=${Buffer.concat(path).toString('base64')}`;

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
  return { version: 2, algorithm: signatureAlgorithm, keyId, signature, leaf, size: count, path };
};
