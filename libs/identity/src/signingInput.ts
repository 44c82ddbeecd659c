/**
 * What a v1 signature covers, field by field, each as a 4-byte big-endian length and then its
 * bytes, so no two different records share an input. docs/identity.md specifies it for other
 * languages.
 */
export const signingDomain = 'agentbus-event-signature/v1';

export interface SignedParts {
  algorithm: string;
  /** The signer's did:key; binding it stops a signature being relabelled with another key id. */
  keyId: string;
  /** The topic the record was written to: a record copied to another topic no longer verifies. */
  topic: string;
  /** The `agentbus-routing-key` header, which readers route on before decoding; empty when absent. */
  routingKey: string | undefined;
  /** The record value exactly as on the wire: the Confluent-framed Avro body. */
  value: Buffer | null;
}

const field = (bytes: Buffer): Buffer[] => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return [length, bytes];
};

export const signingInput = (parts: SignedParts): Buffer =>
  Buffer.concat([
    ...field(Buffer.from(signingDomain, 'utf8')),
    ...field(Buffer.from(parts.algorithm, 'utf8')),
    ...field(Buffer.from(parts.keyId, 'utf8')),
    ...field(Buffer.from(parts.topic, 'utf8')),
    ...field(Buffer.from(parts.routingKey ?? '', 'utf8')),
    ...field(parts.value ?? Buffer.alloc(0)),
  ]);
