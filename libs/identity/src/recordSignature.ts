import { verify, type KeyObject } from 'node:crypto';
import { ed25519KeyOfBytes, publicKeyOfDid } from './didKey';
import { EventUnsignedError, SignatureInvalidError, isDidInvalidError } from './errors';
import { climbPath, hashBytes, leafHashOfParts, merkleTree, rootFromPath } from './merkleTree';
import {
  compactPrefix,
  formatBatchSignatureHeader,
  formatCompactSignatureHeader,
  formatSignatureHeader,
  isCompactHeader,
  parseCompactSignatureHeader,
  parseSignatureHeader,
  signatureAlgorithm,
  type SignatureHeader,
  type TreeSignatureHeader,
} from './signatureHeader';
import type { SigningKey } from './signingKey';
import { batchLeafDomain, batchRootInput, signingInput, signingInputParts } from './signingInput';

export interface RecordToSign {
  topic: string;
  routingKey: string | undefined;
  value: Buffer | null;
}

export interface RecordToVerify extends RecordToSign {
  /** The `agentbus-signature` header as read: text (v1, v2) or bytes (v3, or v1/v2 as UTF-8); undefined when the record has none. */
  signature: string | Buffer | undefined;
}

/**
 * At most this many records share one Ed25519 signature: 64 leaves keep each record's audit path
 * to 6 hashes (192 bytes of a v3 header) while the signature costs a 64th per record.
 */
export const maxBatchLeaves = 64;

/** The `agentbus-signature` header value (v1) for a record about to be produced. */
export const signRecord = (key: SigningKey, record: RecordToSign): string =>
  formatSignatureHeader(key.did, key.sign(signingInput({ algorithm: signatureAlgorithm, keyId: key.did, ...record })));

const leafOf = (keyId: string, record: RecordToSign): Buffer => leafHashOfParts(signingInputParts({ algorithm: signatureAlgorithm, keyId, ...record }, batchLeafDomain));

/** Each tree of up to `maxBatchLeaves` records, in order: its records, root and paths, and the one Ed25519 signature over the root. */
const signTrees = <T>(key: SigningKey, records: readonly RecordToSign[], header: (signature: Buffer, leaf: number, size: number, path: Buffer[]) => T): T[] => {
  const headers: T[] = [];
  for (let start = 0; start < records.length; start += maxBatchLeaves) {
    const batch = records.slice(start, start + maxBatchLeaves);
    const tree = merkleTree(batch.map((record) => leafOf(key.did, record)));
    const signature = key.sign(batchRootInput(signatureAlgorithm, key.did, batch.length, tree.root));
    for (let i = 0; i < batch.length; i++) headers.push(header(signature, i, batch.length, tree.paths[i]!));
  }
  return headers;
};

/**
 * The `agentbus-signature` header values (v3, bytes) for records produced together, in their
 * order: one Ed25519 signature per `maxBatchLeaves` records over their Merkle root, each record
 * with its own audit path, so each verifies alone. A single record is a tree of one (no path).
 */
export const signRecords = (key: SigningKey, records: readonly RecordToSign[]): Buffer[] => {
  let prefix: { signature: Buffer; bytes: Buffer } | undefined;
  return signTrees(key, records, (signature, leaf, size, path) => {
    if (prefix?.signature !== signature) prefix = { signature, bytes: compactPrefix(key.publicKeyBytes, signature) };
    return formatCompactSignatureHeader(prefix.bytes, leaf, size, path);
  });
};

/**
 * The text headers agentbus wrote before v3, which readers still accept: v2 per batch, v1 for a
 * single record. For tests and tools that need records as older writers made them.
 */
export const signRecordsV2 = (key: SigningKey, records: readonly RecordToSign[]): string[] => {
  if (records.length === 1) return [signRecord(key, records[0]!)];
  const trees = signTrees(key, records, (signature, leaf, size, path) => (size === 1 ? undefined : formatBatchSignatureHeader(key.did, signature, leaf, size, path)));
  // A last tree of one record is signed v1, as a single record is.
  return trees.map((header, i) => header ?? signRecord(key, records[i]!));
};

interface ProvenNode {
  node: string;
  /** The rest of the audit path from this node up: the same node and the same rest lead to the same root. */
  rest: string;
}

/**
 * Batch signatures already checked, so the records of one batch pay for one Ed25519 verify
 * between them. Per signature: every node of its tree that a verified record's climb passed, and
 * every path hash it was combined with (the sibling, whose own rest of path is the node it met
 * and the rest above), each with its rest of path. A later record of the batch is proven as soon
 * as its own climb reaches such a node with the same rest of path, so a record verifies exactly
 * when it would without the cache, usually with no node hash at all (its leaf was a sibling in
 * an earlier path). Bounded, oldest out.
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
  climb(header: TreeSignatureHeader, leaf: Buffer): { root: Buffer | 'proven' | undefined; verified: () => void } {
    const key = this.keyOf(header);
    const known = this.#batches.get(key);
    const pathText = header.pathBytes.toString('latin1');
    const visited: [string, ProvenNode][] = [];
    const root = climbPath(leaf, header.leaf, header.size, header.path, (position, node, step, sibling) => {
      const nodeText = node.toString('latin1');
      const rest = pathText.slice(step * hashBytes);
      const seen = known?.get(position);
      if (seen !== undefined && seen.node === nodeText && seen.rest === rest) return true;
      visited.push([position, { node: nodeText, rest }]);
      if (sibling !== undefined) visited.push([sibling, { node: rest.slice(0, hashBytes), rest: nodeText + rest.slice(hashBytes) }]);
      return false;
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
  private keyOf(header: TreeSignatureHeader): string {
    return `${header.keyId} ${header.size} ${header.signature.toString('latin1')}`;
  }
}

const invalidKey = (error: unknown): never => {
  if (isDidInvalidError(error)) throw new SignatureInvalidError(`key id ${error.message.replace(/^Invalid did:key /, '')}`);
  throw error;
};

const publicKeyOf = (keyId: string): KeyObject => {
  try {
    return publicKeyOfDid(keyId);
  } catch (error) {
    return invalidKey(error);
  }
};

const keyOfBytes = (raw: Buffer): { did: string; key: KeyObject } => {
  try {
    return ed25519KeyOfBytes(raw);
  } catch (error) {
    return invalidKey(error);
  }
};

/** A v3 header names its key by its bytes: the verification key comes with the did:key. */
const parseHeader = (value: string | Buffer): { header: SignatureHeader; publicKey: KeyObject } => {
  if (typeof value !== 'string' && isCompactHeader(value)) {
    let publicKey: KeyObject | undefined;
    const header = parseCompactSignatureHeader(value, (raw) => {
      const known = keyOfBytes(raw);
      publicKey = known.key;
      return known.did;
    });
    return { header, publicKey: publicKey! };
  }
  const header = parseSignatureHeader(typeof value === 'string' ? value : value.toString('utf8'));
  return { header, publicKey: publicKeyOf(header.keyId) };
};

const mismatch = (keyId: string) => new SignatureInvalidError('the signature does not match the record (value, routing key or topic changed, or another key signed it)', keyId);

/**
 * Returns the did:key that signed the record, or throws EVENT_UNSIGNED or SIGNATURE_INVALID
 * (with the reason: malformed header, a key that is not an Ed25519 did:key, or bytes that differ).
 * With `verified`, a batch signature's Ed25519 check is made once for all its records.
 */
export const verifyRecordSignature = (record: RecordToVerify, verified?: VerifiedBatches): string => {
  if (record.signature === undefined) throw new EventUnsignedError(record.topic);
  const { header, publicKey } = parseHeader(record.signature);
  const parts = { algorithm: header.algorithm, keyId: header.keyId, topic: record.topic, routingKey: record.routingKey, value: record.value };
  if (header.version === 1) {
    if (!verify(null, signingInput(parts), publicKey, header.signature)) throw mismatch(header.keyId);
    return header.keyId;
  }
  const leaf = leafHashOfParts(signingInputParts(parts, batchLeafDomain));
  const climb = verified ? verified.climb(header, leaf) : { root: rootFromPath(leaf, header.leaf, header.size, header.path), verified: () => undefined };
  if (climb.root === 'proven') return header.keyId;
  if (!climb.root) throw new SignatureInvalidError(`the audit path does not fit leaf ${header.leaf} of a batch of ${header.size}`, header.keyId);
  if (!verify(null, batchRootInput(header.algorithm, header.keyId, header.size, climb.root), publicKey, header.signature)) throw mismatch(header.keyId);
  climb.verified();
  return header.keyId;
};
