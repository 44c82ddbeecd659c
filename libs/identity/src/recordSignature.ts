import { verify } from 'node:crypto';
import { publicKeyOfDid } from './didKey';
import { EventUnsignedError, SignatureInvalidError, isDidInvalidError } from './errors';
import { climbPath, hashBytes, leafHashOfParts, merkleTree, rootFromPath } from './merkleTree';
import { formatBatchSignatureHeader, formatSignatureHeader, parseSignatureHeader, signatureAlgorithm, type BatchSignatureHeader } from './signatureHeader';
import type { SigningKey } from './signingKey';
import { batchLeafDomain, batchRootInput, signingInput, signingInputParts } from './signingInput';

export interface RecordToSign {
  topic: string;
  routingKey: string | undefined;
  value: Buffer | null;
}

export interface RecordToVerify extends RecordToSign {
  /** The `agentbus-signature` header; undefined when the record has none. */
  signature: string | undefined;
}

/**
 * At most this many records share one Ed25519 signature: 64 leaves keep each record's audit path
 * to 6 hashes (256 characters of header) while the signature costs a 64th per record.
 */
export const maxBatchLeaves = 64;

/** The `agentbus-signature` header value (v1) for a record about to be produced. */
export const signRecord = (key: SigningKey, record: RecordToSign): string =>
  formatSignatureHeader(key.did, key.sign(signingInput({ algorithm: signatureAlgorithm, keyId: key.did, ...record })));

const leafOf = (keyId: string, record: RecordToSign): Buffer => leafHashOfParts(signingInputParts({ algorithm: signatureAlgorithm, keyId, ...record }, batchLeafDomain));

/**
 * The headers for records produced together, in their order: one Ed25519 signature per
 * `maxBatchLeaves` records over their Merkle root (v2), each record with its own audit path, so
 * each verifies alone. A single record gets a v1 header, as `signRecord` makes.
 */
export const signRecords = (key: SigningKey, records: readonly RecordToSign[]): string[] => {
  if (records.length === 1) return [signRecord(key, records[0]!)];
  const headers: string[] = [];
  for (let start = 0; start < records.length; start += maxBatchLeaves) {
    const batch = records.slice(start, start + maxBatchLeaves);
    if (batch.length === 1) {
      headers.push(signRecord(key, batch[0]!));
      continue;
    }
    const tree = merkleTree(batch.map((record) => leafOf(key.did, record)));
    const signature = key.sign(batchRootInput(signatureAlgorithm, key.did, batch.length, tree.root));
    tree.paths.forEach((path, i) => headers.push(formatBatchSignatureHeader(key.did, signature, i, batch.length, path)));
  }
  return headers;
};

interface ProvenNode {
  node: string;
  /** The rest of the audit path from this node up: the same node and the same rest lead to the same root. */
  rest: string;
}

/**
 * Batch signatures already checked, so the records of one batch pay for one Ed25519 verify
 * between them. Per signature: every node of its tree that a verified record's climb passed,
 * with the rest of that record's path. A later record of the batch is proven as soon as its own
 * climb reaches such a node with the same rest of path, so a record verifies exactly when it
 * would without the cache, usually after one or two hashes. Bounded, oldest out.
 */
export class VerifiedBatches {
  readonly #batches = new Map<string, Map<string, ProvenNode>>();
  /** Batch-signed records proven from a verified batch, and Ed25519 verifications of batch roots. */
  readonly counts = { cached: 0, verified: 0 };

  constructor(private readonly capacity = 1024) {}

  get size(): number {
    return this.#batches.size;
  }

  /**
   * Climbs the record's path: 'proven' when a verified batch already covers it, else the root it
   * leads to (undefined for a path that does not fit) and `verified`, to call once Ed25519 has
   * accepted the signature over that root.
   */
  climb(header: BatchSignatureHeader, leaf: Buffer, pathText: string): { root: Buffer | 'proven' | undefined; verified: () => void } {
    const key = this.keyOf(header);
    const known = this.#batches.get(key);
    const visited: [string, ProvenNode][] = [];
    const root = climbPath(leaf, header.leaf, header.size, header.path, (position, node, step) => {
      const proven = { node: node.toString('latin1'), rest: pathText.slice(step * hashBytes) };
      visited.push([position, proven]);
      const seen = known?.get(position);
      return seen !== undefined && seen.node === proven.node && seen.rest === proven.rest;
    });
    const learn = (into: Map<string, ProvenNode>) => visited.forEach(([position, proven]) => into.set(position, proven));
    if (root === 'proven') {
      this.counts.cached++;
      learn(known!);
    }
    return {
      root,
      verified: () => {
        this.counts.verified++;
        const nodes = this.#batches.get(key) ?? new Map<string, ProvenNode>();
        learn(nodes);
        this.#batches.delete(key);
        this.#batches.set(key, nodes);
        if (this.#batches.size > this.capacity) this.#batches.delete(this.#batches.keys().next().value!);
      },
    };
  }

  // The size is signed with the root: a record claiming another size must not share the proof.
  private keyOf(header: BatchSignatureHeader): string {
    return `${header.keyId} ${header.size} ${header.signature.toString('latin1')}`;
  }
}

const publicKeyOf = (keyId: string) => {
  try {
    return publicKeyOfDid(keyId);
  } catch (error) {
    if (isDidInvalidError(error)) throw new SignatureInvalidError(`key id ${error.message.replace(/^Invalid did:key /, '')}`);
    throw error;
  }
};

const mismatch = (keyId: string) => new SignatureInvalidError('the signature does not match the record (value, routing key or topic changed, or another key signed it)', keyId);

/**
 * Returns the did:key that signed the record, or throws EVENT_UNSIGNED or SIGNATURE_INVALID
 * (with the reason: malformed header, a key that is not an Ed25519 did:key, or bytes that differ).
 * With `verified`, a batch signature's Ed25519 check is made once for all its records.
 */
export const verifyRecordSignature = (record: RecordToVerify, verified?: VerifiedBatches): string => {
  if (record.signature === undefined) throw new EventUnsignedError(record.topic);
  const header = parseSignatureHeader(record.signature);
  const publicKey = publicKeyOf(header.keyId);
  const parts = { algorithm: header.algorithm, keyId: header.keyId, topic: record.topic, routingKey: record.routingKey, value: record.value };
  if (header.version === 1) {
    if (!verify(null, signingInput(parts), publicKey, header.signature)) throw mismatch(header.keyId);
    return header.keyId;
  }
  const leaf = leafHashOfParts(signingInputParts(parts, batchLeafDomain));
  const climb = verified ? verified.climb(header, leaf, Buffer.concat(header.path).toString('latin1')) : { root: rootFromPath(leaf, header.leaf, header.size, header.path), verified: () => undefined };
  if (climb.root === 'proven') return header.keyId;
  if (!climb.root) throw new SignatureInvalidError(`the audit path does not fit leaf ${header.leaf} of a batch of ${header.size}`, header.keyId);
  if (!verify(null, batchRootInput(header.algorithm, header.keyId, header.size, climb.root), publicKey, header.signature)) throw mismatch(header.keyId);
  climb.verified();
  return header.keyId;
};
