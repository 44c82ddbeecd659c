import { SignatureInvalidError } from './errors';

export const signatureHeader = 'agentbus-signature';
export const signatureAlgorithm = 'ed25519';
const ed25519SignatureBytes = 64;

export interface SignatureHeader {
  version: 1;
  algorithm: typeof signatureAlgorithm;
  keyId: string;
  signature: Buffer;
}

/** `v=1;alg=ed25519;kid=<did:key>;sig=<base64 of the 64-byte signature>` */
export const formatSignatureHeader = (keyId: string, signature: Buffer): string => `v=1;alg=${signatureAlgorithm};kid=${keyId};sig=${signature.toString('base64')}`;

const base64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Strict: exactly the four fields, in order; anything else is SIGNATURE_INVALID with the reason. */
export const parseSignatureHeader = (text: string): SignatureHeader => {
  const fields = text.split(';');
  const names = fields.map((f) => f.slice(0, f.indexOf('=')));
  if (fields.length !== 4 || names.join(',') !== 'v,alg,kid,sig') throw new SignatureInvalidError('malformed header: expected v=1;alg=…;kid=…;sig=…');
  const [version, algorithm, keyId, sig] = fields.map((f) => f.slice(f.indexOf('=') + 1)) as [string, string, string, string];
  if (version !== '1') throw new SignatureInvalidError(`unknown signature version ${JSON.stringify(version.slice(0, 20))}`);
  if (algorithm !== signatureAlgorithm) throw new SignatureInvalidError(`unknown algorithm ${JSON.stringify(algorithm.slice(0, 40))}`, keyId);
  if (sig.length % 4 !== 0 || !base64.test(sig)) throw new SignatureInvalidError('signature is not base64', keyId);
  const signature = Buffer.from(sig, 'base64');
  if (signature.length !== ed25519SignatureBytes) throw new SignatureInvalidError(`an Ed25519 signature is ${ed25519SignatureBytes} bytes, got ${signature.length}`, keyId);
  return { version: 1, algorithm: signatureAlgorithm, keyId, signature };
};
