import { verify } from 'node:crypto';
import { publicKeyOfDid } from './didKey';
import { EventUnsignedError, SignatureInvalidError, isDidInvalidError } from './errors';
import { formatSignatureHeader, parseSignatureHeader, signatureAlgorithm } from './signatureHeader';
import type { SigningKey } from './signingKey';
import { signingInput } from './signingInput';

export interface RecordToSign {
  topic: string;
  routingKey: string | undefined;
  value: Buffer | null;
}

export interface RecordToVerify extends RecordToSign {
  /** The `agentbus-signature` header; undefined when the record has none. */
  signature: string | undefined;
}

/** The `agentbus-signature` header value for a record about to be produced. */
export const signRecord = (key: SigningKey, record: RecordToSign): string =>
  formatSignatureHeader(key.did, key.sign(signingInput({ algorithm: signatureAlgorithm, keyId: key.did, ...record })));

/**
 * Returns the did:key that signed the record, or throws EVENT_UNSIGNED or SIGNATURE_INVALID
 * (with the reason: malformed header, a key that is not an Ed25519 did:key, or bytes that differ).
 */
export const verifyRecordSignature = (record: RecordToVerify): string => {
  if (record.signature === undefined) throw new EventUnsignedError(record.topic);
  const header = parseSignatureHeader(record.signature);
  let publicKey;
  try {
    publicKey = publicKeyOfDid(header.keyId);
  } catch (error) {
    if (isDidInvalidError(error)) throw new SignatureInvalidError(`key id ${error.message.replace(/^Invalid did:key /, '')}`);
    throw error;
  }
  const input = signingInput({ algorithm: header.algorithm, keyId: header.keyId, topic: record.topic, routingKey: record.routingKey, value: record.value });
  if (!verify(null, input, publicKey, header.signature)) throw new SignatureInvalidError('the signature does not match the record (value, routing key or topic changed, or another key signed it)', header.keyId);
  return header.keyId;
};
