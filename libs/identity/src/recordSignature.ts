import { verify, type KeyObject } from 'node:crypto';
import { ed25519KeyOfBytes, publicKeyOfDid } from './didKey';
import { EventUnsignedError, SignatureInvalidError, isDidInvalidError } from './errors';
import { climbPathText, hashBytes, merkleTreeOfText, type ClimbVisitor, type HashText } from './merkleTree';
import {
  compactPrefix,
  formatBatchSignatureHeader,
  formatCompactSignatureHeader,
  formatSignatureHeader,
  compactPlace,
  compactTreeId,
  isCompactHeader,
  isWellFormedCompact,
  parseCompactSignatureHeader,
  parseSignatureHeader,
  signatureAlgorithm,
  type CompactSignatureHeader,
  type SignatureHeader,
  type TreeSignatureHeader,
} from './signatureHeader';
import type { SigningKey } from './signingKey';
import { carrierOffset, isCarrierHeader, isCarrierSignatureHeader, parseCarrierPlace, proveCarrier, type ProvenGroup, type RecordPosition } from './carrierSignature';
import { batchLeafHash, batchRootInput, signingInput } from './signingInput';

export interface RecordToSign {
  topic: string;
  routingKey: string | undefined;
  value: Buffer | null;
}

export interface RecordToVerify extends RecordToSign {
  /** The `agentbus-signature` header as read: text (v1, v2) or bytes (v3, or v1/v2 as UTF-8); undefined when the record has none. */
  signature: string | Buffer | undefined;
  /** Where the record was read (topic, partition, offset): a v4 member's carrier is found from it. */
  position?: RecordPosition;
  /** A v4 member's carrier header, attached to a copy kept away from its group (a dead letter). */
  carrier?: Buffer;
}

/**
 * At most this many records share one Ed25519 signature. An Ed25519 verify costs 120-200 µs in
 * Node here and a node hash ~1 µs: at 256 leaves the signature costs a reader ~0.6 µs per record
 * (2.2-3.1 at 64) for 64 more header bytes (8 path hashes, a 359-byte v3 header), and each record
 * still needs about one node hash whatever the tree's size.
 */
export const maxBatchLeaves = 256;

/** The `agentbus-signature` header value (v1) for a record about to be produced. */
export const signRecord = (key: SigningKey, record: RecordToSign): string =>
  formatSignatureHeader(key.did, key.sign(signingInput({ algorithm: signatureAlgorithm, keyId: key.did, ...record })));

const leafOf = (keyId: string, record: RecordToSign): HashText => batchLeafHash({ algorithm: signatureAlgorithm, keyId, topic: record.topic, routingKey: record.routingKey, value: record.value });

const rootInput = (key: SigningKey, size: number, root: HashText): Buffer => batchRootInput(signatureAlgorithm, key.did, size, Buffer.from(root, 'latin1'));

/** Each tree of up to `maxBatchLeaves` records, in order: its records, root and paths, and the one Ed25519 signature over the root. */
const signTrees = <T>(key: SigningKey, records: readonly RecordToSign[], leaves: number, header: (signature: Buffer, leaf: number, size: number, path: string) => T): T[] => {
  const headers: T[] = [];
  for (let start = 0; start < records.length; start += leaves) {
    const batch = records.slice(start, start + leaves);
    const tree = merkleTreeOfText(batch.map((record) => leafOf(key.did, record)));
    const signature = key.sign(rootInput(key, batch.length, tree.root));
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
  return signTrees(key, records, maxBatchLeaves, (signature, leaf, size, path) => {
    if (prefix?.signature !== signature) prefix = { signature, bytes: compactPrefix(key.publicKeyBytes, signature) };
    return formatCompactSignatureHeader(prefix.bytes, leaf, size, path);
  });
};

/** The trees v2 writers made. */
const v2BatchLeaves = 64;

/**
 * The text headers agentbus wrote before v3, which readers still accept: v2 per batch, v1 for a
 * single record. For tests and tools that need records as older writers made them.
 */
export const signRecordsV2 = (key: SigningKey, records: readonly RecordToSign[]): string[] => {
  if (records.length === 1) return [signRecord(key, records[0]!)];
  const pathOf = (path: string) => Array.from({ length: path.length / hashBytes }, (_, i) => Buffer.from(path.slice(i * hashBytes, (i + 1) * hashBytes), 'latin1'));
  const trees = signTrees(key, records, v2BatchLeaves, (signature, leaf, size, path) => (size === 1 ? undefined : formatBatchSignatureHeader(key.did, signature, leaf, size, pathOf(path))));
  // A last tree of one record is signed v1, as a single record is.
  return trees.map((header, i) => header ?? signRecord(key, records[i]!));
};

interface ProvenNode {
  node: HashText;
  /** The rest of the audit path from this node up: the same node and the same rest lead to the same root. */
  rest: string;
}

interface VerifiedTree {
  keyId: string;
  size: number;
  nodes: Map<number, ProvenNode>;
  /** Records of the tree not yet proven (counting a record read twice twice): at 0 the tree is forgotten. */
  unproven: number;
}

/** What a climb needs of a header: the signer, the record's place in its tree, and its path. */
type ClimbHeader = Pick<TreeSignatureHeader, 'keyId' | 'leaf' | 'size' | 'pathText'>;

/** One record's climb against the cache: what it passed, to remember once its root is verified. */
class CachedClimb implements ClimbVisitor {
  root: HashText | 'proven' | undefined;
  visited: [number, ProvenNode][] | undefined;

  constructor(
    readonly id: string,
    readonly header: ClimbHeader,
    readonly known: VerifiedTree | undefined,
  ) {}

  visit(position: number, node: HashText, step: number, sibling: number): boolean {
    const rest = step === 0 ? this.header.pathText : this.header.pathText.slice(step * hashBytes);
    const seen = this.known?.nodes.get(position);
    if (seen !== undefined && seen.node === node && seen.rest === rest) return true;
    const visited = (this.visited ??= []);
    visited.push([position, { node, rest }]);
    if (sibling >= 0) visited.push([sibling, { node: rest.slice(0, hashBytes), rest: node + rest.slice(hashBytes) }]);
    return false;
  }

  learn(into: VerifiedTree): void {
    if (this.visited) for (const [position, proven] of this.visited) into.nodes.set(position, proven);
  }
}

// A tree is shared only with records that claim its signer and size, which were signed with its root.
const sameTree = (tree: VerifiedTree | undefined, header: ClimbHeader): VerifiedTree | undefined => (tree && tree.keyId === header.keyId && tree.size === header.size ? tree : undefined);

// A v3 tree is named by its key's and signature's bytes (96 latin1 characters), a v2 tree by its
// did:key and signature: never the same length, so never the same name.
const treeIdOf = (header: TreeSignatureHeader): string =>
  header.version === 3 ? (header as CompactSignatureHeader).publicKey.toString('latin1') + header.signature.toString('latin1') : header.keyId + header.signature.toString('latin1');

/**
 * Batch signatures already checked, so the records of one batch pay for one Ed25519 verify
 * between them. Per signature: every node of its tree that a verified record's climb passed, and
 * every path hash it was combined with (the sibling, whose own rest of path is the node it met
 * and the rest above), each with its rest of path. A later record of the batch is proven as soon
 * as its own climb reaches such a node with the same rest of path, so a record verifies exactly
 * when it would without the cache, usually with no more than one node hash (its leaf, or its
 * parent, was a sibling in an earlier path). A tree is forgotten once as many records as it has
 * were proven by it (a record read again then costs its tree one more Ed25519 check), so the
 * cache holds the trees still being read; bounded besides, oldest out.
 */
export class VerifiedBatches {
  readonly #batches = new Map<string, VerifiedTree>();
  /** v4 carriers read with the records they sign, by topic, partition and offset: the group, or why it failed. */
  readonly #carriers = new Map<string, ProvenGroup | SignatureInvalidError>();
  #carrierBytes = 0;
  /** v4 signatures verified: the carriers of one publish share one. */
  readonly #roots = new Map<string, string>();
  /** Batch-signed records proven from a verified batch, and Ed25519 verifications of batch roots. */
  readonly counts = { cached: 0, verified: 0 };

  constructor(private readonly capacity = 1024) {}

  get size(): number {
    return this.#batches.size;
  }

  /**
   * Climbs the record's path: `root` is 'proven' when a verified batch already covers it, else the
   * root it leads to (undefined for a path that does not fit); `remember` the climb once Ed25519
   * has accepted the signature over that root.
   */
  climb(header: TreeSignatureHeader, leaf: HashText): CachedClimb {
    return this.climbIn(treeIdOf(header), header, leaf);
  }

  /**
   * The signer of a well-formed v3 record whose tree is verified, when the record is proven by it;
   * else undefined, and the caller verifies the record in full (which then says why it fails).
   * Nothing of the header is parsed but its place and path: the tree knows the key.
   */
  proveCompact(record: RecordToSign, header: Buffer): string | undefined {
    const id = compactTreeId(header);
    const tree = this.#batches.get(id);
    if (tree === undefined) return undefined;
    const place = compactPlace(header);
    if (place.size !== tree.size) return undefined;
    const leaf = batchLeafHash({ algorithm: signatureAlgorithm, keyId: tree.keyId, topic: record.topic, routingKey: record.routingKey, value: record.value });
    return this.climbIn(id, { keyId: tree.keyId, leaf: place.leaf, size: place.size, pathText: place.pathText }, leaf).root === 'proven' ? tree.keyId : undefined;
  }

  /**
   * A record read before the records it signs are checked: when it carries a v4 group, the group
   * is verified now and kept for the group's members (`carrierAt`), or the reason it failed is.
   */
  learnCarrier(topic: string, position: RecordPosition, signature: string | Buffer | undefined): void {
    if (!isCarrierHeader(signature)) return;
    const at = positionKey(topic, position.partition, position.offset);
    if (this.#carriers.has(at)) return;
    let known: ProvenGroup | SignatureInvalidError;
    try {
      known = this.proveCarrier(signature);
      // A group of one is its carrier alone, which proves itself from its own header.
      if (known.size === 1) return;
    } catch (error) {
      if (!(error instanceof SignatureInvalidError)) throw error;
      known = error;
    }
    this.#carriers.set(at, known);
    this.#carrierBytes += weightOf(known);
    // Not forgotten when its members are proven: a record can be checked twice (the decode
    // path's fast try, then the full one), and a member cannot be proven without its carrier.
    // The oldest go first, far beyond what one fetch holds (a 1 MB partition fetch carries at most
    // ~330 KB of leaves).
    while (this.#carrierBytes > maxCarrierBytes) {
      const [oldest, value] = this.#carriers.entries().next().value!;
      this.#carriers.delete(oldest);
      this.#carrierBytes -= weightOf(value);
    }
  }

  /** The group carried at this position, the reason its carrier failed, or undefined when it was not read. */
  carrierAt(topic: string, partition: number, offset: string): ProvenGroup | SignatureInvalidError | undefined {
    return this.#carriers.get(positionKey(topic, partition, offset));
  }

  proveCarrier(bytes: Buffer): ProvenGroup {
    return proveCarrier(bytes, this.#roots);
  }

  remember(climb: CachedClimb): void {
    this.counts.verified++;
    const known = this.#batches.get(climb.id);
    const tree = sameTree(known, climb.header) ?? { keyId: climb.header.keyId, size: climb.header.size, nodes: new Map<number, ProvenNode>(), unproven: climb.header.size };
    climb.learn(tree);
    this.#batches.delete(climb.id);
    if (--tree.unproven <= 0) return;
    this.#batches.set(climb.id, tree);
    if (this.#batches.size > this.capacity) this.#batches.delete(this.#batches.keys().next().value!);
  }

  private climbIn(id: string, header: ClimbHeader, leaf: HashText): CachedClimb {
    const climb = new CachedClimb(id, header, sameTree(this.#batches.get(id), header));
    climb.root = climbPathText(leaf, header.leaf, header.size, header.pathText, climb);
    if (climb.root === 'proven') {
      this.counts.cached++;
      climb.learn(climb.known!);
      if (--climb.known!.unproven <= 0) this.#batches.delete(id);
    }
    return climb;
  }
}

const maxCarrierBytes = 32 * 1024 * 1024;
const weightOf = (known: ProvenGroup | SignatureInvalidError): number => (known instanceof SignatureInvalidError ? 256 : known.leaves.length);

const positionKey = (topic: string, partition: number, offset: string): string => `${topic}\u0000${partition}\u0000${offset}`;

/** A v4 record: proven by its group's leaf, from its own carrier, an attached one, or the one read at its carrier's offset. */
const verifyCarried = (record: RecordToVerify, header: Buffer, verified: VerifiedBatches | undefined): string => {
  const place = parseCarrierPlace(header);
  let group: ProvenGroup;
  if (place.kind === 'carrier') group = verified ? verified.proveCarrier(header) : proveCarrier(header);
  else if (record.carrier !== undefined) {
    if (!isCarrierSignatureHeader(record.carrier)) throw new SignatureInvalidError('the attached v4 carrier is not a v4 header');
    group = verified ? verified.proveCarrier(record.carrier) : proveCarrier(record.carrier);
  } else {
    const where = record.position ? `the record at offset ${carrierOffset(record.position.offset, place)} of partition ${record.position.partition}` : `the last record of its group`;
    if (!record.position || !verified) throw new SignatureInvalidError(`a v4 member is proven by its group's carrier, ${where}, which was not read with it`);
    const known = verified.carrierAt(record.topic, record.position.partition, carrierOffset(record.position.offset, place));
    if (known === undefined) throw new SignatureInvalidError(`a v4 member is proven by its group's carrier, ${where}, which was not read with it`);
    if (known instanceof SignatureInvalidError) throw new SignatureInvalidError(`its group's carrier (${where}) is invalid: ${known.reason}`, known.keyId);
    group = known;
  }
  if (group.size !== place.size) throw new SignatureInvalidError(`the record claims a group of ${place.size}, its carrier signs one of ${group.size}`, group.keyId);
  const leaf = batchLeafHash({ algorithm: signatureAlgorithm, keyId: group.keyId, topic: record.topic, routingKey: record.routingKey, value: record.value });
  if (group.leaves.slice(place.leaf * hashBytes, (place.leaf + 1) * hashBytes) !== leaf) throw mismatch(group.keyId);
  return group.keyId;
};

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

const treeRootInput = (header: TreeSignatureHeader, root: HashText): Buffer => batchRootInput(header.algorithm, header.keyId, header.size, Buffer.from(root, 'latin1'));

const mismatch = (keyId: string) => new SignatureInvalidError('the signature does not match the record (value, routing key or topic changed, or another key signed it)', keyId);

/**
 * Returns the did:key that signed the record, or throws EVENT_UNSIGNED or SIGNATURE_INVALID
 * (with the reason: malformed header, a key that is not an Ed25519 did:key, or bytes that differ).
 * With `verified`, a batch signature's Ed25519 check is made once for all its records.
 */
export const verifyRecordSignature = (record: RecordToVerify, verified?: VerifiedBatches): string => {
  if (record.signature === undefined) throw new EventUnsignedError(record.topic);
  if (isCarrierSignatureHeader(record.signature)) return verifyCarried(record, record.signature, verified);
  if (verified && isWellFormedCompact(record.signature)) {
    const signer = verified.proveCompact(record, record.signature);
    if (signer !== undefined) return signer;
  }
  const { header, publicKey } = parseHeader(record.signature);
  const parts = { algorithm: header.algorithm, keyId: header.keyId, topic: record.topic, routingKey: record.routingKey, value: record.value };
  if (header.version === 1) {
    if (!verify(null, signingInput(parts), publicKey, header.signature)) throw mismatch(header.keyId);
    return header.keyId;
  }
  const leaf = batchLeafHash(parts);
  const climb = verified?.climb(header, leaf);
  if (climb?.root === 'proven') return header.keyId;
  const root = climb ? climb.root : climbPathText(leaf, header.leaf, header.size, header.pathText);
  if (!root || root === 'proven') throw new SignatureInvalidError(`the audit path does not fit leaf ${header.leaf} of a batch of ${header.size}`, header.keyId);
  if (!verify(null, treeRootInput(header, root), publicKey, header.signature)) throw mismatch(header.keyId);
  if (climb) verified!.remember(climb);
  return header.keyId;
};
