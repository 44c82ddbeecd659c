import { leafHashOfFields, type HashText } from './merkleTree';

/**
 * What a v1 signature covers, field by field, each as a 4-byte big-endian length and then its
 * bytes, so no two different records share an input. docs/identity.md specifies it for other
 * languages.
 */
export const signingDomain = 'agentbus-event-signature/v1';
/** A v2 leaf: the same fields under its own tag, so a v1 input is never a v2 leaf or the reverse. */
export const batchLeafDomain = 'agentbus-event-signature/v2';
/** What a v2 signature signs: the batch's Merkle root. */
export const batchRootDomain = 'agentbus-batch-signature/v2';

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

/** A field of a signed input: its length in bytes (4 bytes, big-endian), then its bytes. */
export const field = (bytes: Buffer): Buffer[] => {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return [length, bytes];
};

export const signingInput = (parts: SignedParts, domain: string = signingDomain): Buffer =>
  Buffer.concat([
    ...field(Buffer.from(domain, 'utf8')),
    ...field(Buffer.from(parts.algorithm, 'utf8')),
    ...field(Buffer.from(parts.keyId, 'utf8')),
    ...field(Buffer.from(parts.topic, 'utf8')),
    ...field(Buffer.from(parts.routingKey ?? '', 'utf8')),
    ...field(parts.value ?? Buffer.alloc(0)),
  ]);

/** The input of a v2 signature: tag, algorithm, key id, the batch size (4 bytes, big-endian) and the root. */
export const batchRootInput = (algorithm: string, keyId: string, size: number, root: Buffer): Buffer => {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(size);
  return Buffer.concat([...field(Buffer.from(batchRootDomain, 'utf8')), ...field(Buffer.from(algorithm, 'utf8')), ...field(Buffer.from(keyId, 'utf8')), ...field(count), ...field(root)]);
};

const noBytes = Buffer.alloc(0);
// The fields before the value are the same for every record a key writes with one routing key to one
// topic: built once, not per record (a leaf is hashed for every record published or read). They are
// kept per signer and topic (a reader sees few of those, and consecutive records share one), then
// per routing key, which changes from record to record and is a short key to look up.
interface HeadsOf {
  algorithm: string;
  keyId: string;
  topic: string;
  byRoutingKey: Map<string, Buffer>;
}
const contexts = new Map<string, HeadsOf>();
const maxContexts = 1024;
const maxRoutingKeys = 1024;
let lastContext: HeadsOf | undefined;

const contextOf = (parts: SignedParts): HeadsOf => {
  if (lastContext && lastContext.topic === parts.topic && lastContext.keyId === parts.keyId && lastContext.algorithm === parts.algorithm) return lastContext;
  const id = `${parts.algorithm}\n${parts.keyId}\n${parts.topic}`;
  let context = contexts.get(id);
  if (!context) {
    if (contexts.size >= maxContexts) contexts.clear();
    context = { algorithm: parts.algorithm, keyId: parts.keyId, topic: parts.topic, byRoutingKey: new Map() };
    contexts.set(id, context);
  }
  lastContext = context;
  return context;
};

/** A leaf's signing input before the value's length: `signingInput(parts, batchLeafDomain)` up to there. */
const leafHeadOf = (parts: SignedParts): Buffer => {
  const context = contextOf(parts);
  const routingKey = parts.routingKey ?? '';
  let head = context.byRoutingKey.get(routingKey);
  if (!head) {
    head = Buffer.concat([
      ...field(Buffer.from(batchLeafDomain, 'utf8')),
      ...field(Buffer.from(parts.algorithm, 'utf8')),
      ...field(Buffer.from(parts.keyId, 'utf8')),
      ...field(Buffer.from(parts.topic, 'utf8')),
      ...field(Buffer.from(routingKey, 'utf8')),
    ]);
    if (context.byRoutingKey.size >= maxRoutingKeys) context.byRoutingKey.clear();
    context.byRoutingKey.set(routingKey, head);
  }
  return head;
};

/** A v2/v3 leaf: the hash of the record's batch-leaf signing input, hashed in place from its pieces. */
export const batchLeafHash = (parts: SignedParts): HashText => leafHashOfFields(leafHeadOf(parts), parts.value ?? noBytes);
