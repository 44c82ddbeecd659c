import { hash } from 'node:crypto';

/**
 * The Merkle tree of RFC 9162 (Certificate Transparency 2.0) §2.1: leaves hashed with a 0x00
 * prefix, interior nodes with 0x01, split at the largest power of two below the size. A batch
 * signature signs the root once, and each record carries its audit path to it.
 *
 * Inside the library a hash is its 32 bytes as latin1 text (`HashText`): Node returns a digest as
 * a string at half the cost of a Buffer, a string compares and keys a Map directly, and a path is
 * the latin1 text of the header's bytes, sliced without copying. The exported Buffer functions are
 * the same tree for callers outside.
 */
export const hashBytes = 32;

/** A SHA-256 digest as 32 latin1 characters, one per byte. */
export type HashText = string;

// 'binary' is latin1: a character per byte.
// One native call per hash: the per-call cost, not the bytes, is what a 65-byte node pays for.
// The input is assembled in one scratch buffer, reused by every call (hashing is synchronous): a
// concatenation per hash took ~0.7 KB per record from Node's buffer pool, and pool slabs are
// external memory, which V8 collects with full collections once enough of it has piled up.
let scratch = Buffer.allocUnsafe(8192);
// A node's input is always 65 bytes: one view of them, not a new one per hash.
let nodeInput = scratch.subarray(0, 1 + 2 * hashBytes);
// Buffer.write without its encoding lookup: a node hash writes two 32-character hashes.
const writeLatin1 = (Buffer.prototype as unknown as { latin1Write: (this: Buffer, text: string, offset: number, length: number) => number }).latin1Write;

const room = (size: number): Buffer => {
  if (scratch.length < size) {
    scratch = Buffer.allocUnsafe(Math.max(size, 2 * scratch.length));
    nodeInput = scratch.subarray(0, 1 + 2 * hashBytes);
  }
  return scratch;
};

const digest = (size: number): HashText => hash('sha256', scratch.subarray(0, size), 'binary');

/** The leaf hash of `head`, then `value`'s length (4 bytes, big-endian), then `value`: a signing input in pieces, not concatenated. */
export const leafHashOfFields = (head: Buffer, value: Buffer): HashText => {
  const size = 1 + head.length + 4 + value.length;
  const into = room(size);
  into[0] = 0;
  into.set(head, 1);
  into.writeUInt32BE(value.length, 1 + head.length);
  into.set(value, 5 + head.length);
  return digest(size);
};

export const nodeHashText = (left: HashText, right: HashText): HashText => {
  nodeInput[0] = 1;
  writeLatin1.call(nodeInput, left, 1, hashBytes);
  writeLatin1.call(nodeInput, right, 1 + hashBytes, hashBytes);
  return hash('sha256', nodeInput, 'binary');
};

const largestPowerOfTwoBelow = (n: number): number => 2 ** Math.floor(Math.log2(n - 1));

export interface MerkleTreeText {
  root: HashText;
  /** For each leaf, its audit path (RFC 9162 PATH): the sibling hashes from the leaf up, concatenated. */
  paths: string[];
}

export const merkleTreeOfText = (leaves: readonly HashText[]): MerkleTreeText => {
  if (leaves.length === 0) throw new Error('a Merkle tree needs at least one leaf');
  const paths: string[] = leaves.map(() => '');
  const build = (lo: number, hi: number): HashText => {
    if (hi - lo === 1) return leaves[lo]!;
    const k = largestPowerOfTwoBelow(hi - lo);
    const left = build(lo, lo + k);
    const right = build(lo + k, hi);
    for (let i = lo; i < lo + k; i++) paths[i] += right;
    for (let i = lo + k; i < hi; i++) paths[i] += left;
    return nodeHashText(left, right);
  };
  return { root: build(0, leaves.length), paths };
};

/**
 * Where a climb is, before each step and at the root: `position` names the node's place in the
 * tree (the same number whichever leaf the climb started from), `step` how many path hashes were
 * used to get there, `sibling` the place of the path hash it is combined with next (-1 at the
 * root). True stops the climb as proven. An object, not a callback: a verifier calls this for
 * every record it reads.
 */
export interface ClimbVisitor {
  visit(position: number, node: HashText, step: number, sibling: number): boolean;
}

// RFC 9162 walks a node as (index, last index) at its level; both are below 2^20 (v2's largest tree).
const placeOf = (fn: number, sn: number): number => fn * 0x100000 + sn;

/**
 * Climbs from a leaf along its audit path (RFC 9162 §2.1.3.2; `path` the concatenated hashes) and
 * returns the root it leads to, 'proven' when the visitor stopped it, or undefined when the path
 * cannot belong to a leaf at this index of a tree of this size.
 */
export const climbPathText = (leaf: HashText, index: number, size: number, path: string, visitor?: ClimbVisitor): HashText | 'proven' | undefined => {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size || path.length % hashBytes !== 0) return undefined;
  const steps = path.length / hashBytes;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (let step = 0; step < steps; step++) {
    if (sn === 0) return undefined;
    // The path hash is the left sibling when fn is odd or the last of its level (then at the level
    // where fn, shifted while even, becomes odd), else the right one.
    const left = fn % 2 === 1 || fn === sn;
    let f = fn;
    let s = sn;
    if (left) {
      while (f % 2 === 0 && f !== 0) {
        f = Math.floor(f / 2);
        s = Math.floor(s / 2);
      }
    }
    if (visitor?.visit(placeOf(fn, sn), r, step, left ? placeOf(f - 1, s) : placeOf(fn + 1, sn))) return 'proven';
    const p = path.slice(step * hashBytes, (step + 1) * hashBytes);
    r = left ? nodeHashText(p, r) : nodeHashText(r, p);
    fn = Math.floor(f / 2);
    sn = Math.floor(s / 2);
  }
  if (sn !== 0) return undefined;
  if (visitor?.visit(placeOf(0, 0), r, steps, -1)) return 'proven';
  return r;
};

const text = (bytes: Buffer): HashText => bytes.toString('latin1');
const bytes = (hashText: string): Buffer => Buffer.from(hashText, 'latin1');

/** The leaf hash (0x00 prefix) of a whole signing input. */
export const leafHash = (input: Buffer): Buffer => bytes(hash('sha256', Buffer.concat([Buffer.from([0]), input]), 'binary'));

export interface MerkleTree {
  root: Buffer;
  /** For each leaf, the sibling hashes from the leaf up to the root (RFC 9162 PATH). */
  paths: Buffer[][];
}

export const merkleTree = (leaves: readonly Buffer[]): MerkleTree => {
  const tree = merkleTreeOfText(leaves.map(text));
  return { root: bytes(tree.root), paths: tree.paths.map((path) => Array.from({ length: path.length / hashBytes }, (_, i) => bytes(path.slice(i * hashBytes, (i + 1) * hashBytes)))) };
};

/** The root a leaf and its audit path lead to, or undefined when the path does not fit the index and size. */
export const rootFromPath = (leaf: Buffer, index: number, size: number, path: readonly Buffer[]): Buffer | undefined => {
  if (path.some((p) => p.length !== hashBytes)) return undefined;
  const root = climbPathText(text(leaf), index, size, path.map(text).join(''));
  return root === undefined || root === 'proven' ? undefined : bytes(root);
};
