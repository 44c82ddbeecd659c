import { hash } from 'node:crypto';

/**
 * The Merkle tree of RFC 9162 (Certificate Transparency 2.0) §2.1: leaves hashed with a 0x00
 * prefix, interior nodes with 0x01, split at the largest power of two below the size. A batch
 * signature signs the root once, and each record carries its audit path to it.
 */
export const hashBytes = 32;

// One native call per hash: the per-call cost, not the bytes, is what a 65-byte node pays for.
// The input is assembled in one scratch buffer, reused by every call (hashing is synchronous): a
// concatenation per hash took ~0.7 KB per record from Node's buffer pool, and pool slabs are
// external memory, which V8 collects with full collections once enough of it has piled up.
// The digest comes back as a hex string and is copied into a pooled Buffer: a Buffer made by native
// code is a backing store of its own, ~0.5-0.8 µs more per hash where publishing churns buffers.
let scratch = Buffer.allocUnsafe(8192);

const sha256 = (prefix: number, parts: readonly Buffer[]): Buffer => {
  let size = 1;
  for (const part of parts) size += part.length;
  if (scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, 2 * scratch.length));
  scratch[0] = prefix;
  let at = 1;
  for (const part of parts) at += part.copy(scratch, at);
  return Buffer.from(hash('sha256', scratch.subarray(0, size), 'hex'), 'hex');
};

export const leafHash = (input: Buffer): Buffer => sha256(0, [input]);
/** `leafHash` of the concatenation of `parts`, without concatenating them. */
export const leafHashOfParts = (parts: readonly Buffer[]): Buffer => sha256(0, parts);
export const nodeHash = (left: Buffer, right: Buffer): Buffer => sha256(1, [left, right]);

const largestPowerOfTwoBelow = (n: number): number => 2 ** Math.floor(Math.log2(n - 1));

export interface MerkleTree {
  root: Buffer;
  /** For each leaf, the sibling hashes from the leaf up to the root (RFC 9162 PATH). */
  paths: Buffer[][];
}

export const merkleTree = (leaves: readonly Buffer[]): MerkleTree => {
  if (leaves.length === 0) throw new Error('a Merkle tree needs at least one leaf');
  const paths: Buffer[][] = leaves.map(() => []);
  const build = (lo: number, hi: number): Buffer => {
    if (hi - lo === 1) return leaves[lo]!;
    const k = largestPowerOfTwoBelow(hi - lo);
    const left = build(lo, lo + k);
    const right = build(lo + k, hi);
    for (let i = lo; i < lo + k; i++) paths[i]!.push(right);
    for (let i = lo + k; i < hi; i++) paths[i]!.push(left);
    return nodeHash(left, right);
  };
  return { root: build(0, leaves.length), paths };
};

/**
 * Called with the node reached before each step of a climb (and with the root after the last):
 * `position` names the node's place in the tree (the same place whichever leaf the climb started
 * from), `step` how many path hashes were used to get there, `sibling` the place of the path hash
 * it is combined with next. True stops the climb as proven.
 */
export type ClimbVisitor = (position: string, node: Buffer, step: number, sibling?: string) => boolean;

/**
 * Climbs from a leaf along its audit path (RFC 9162 §2.1.3.2) and returns the root it leads to,
 * 'proven' when the visitor stopped it, or undefined when the path cannot belong to a leaf at this
 * index of a tree of this size.
 */
export const climbPath = (leaf: Buffer, index: number, size: number, path: readonly Buffer[], visit?: ClimbVisitor): Buffer | 'proven' | undefined => {
  if (!Number.isInteger(index) || !Number.isInteger(size) || index < 0 || index >= size) return undefined;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (let step = 0; step < path.length; step++) {
    if (sn === 0) return undefined;
    const p = path[step]!;
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
    if (visit?.(`${fn}/${sn}`, r, step, left ? `${f - 1}/${s}` : `${fn + 1}/${sn}`)) return 'proven';
    r = left ? nodeHash(p, r) : nodeHash(r, p);
    fn = Math.floor(f / 2);
    sn = Math.floor(s / 2);
  }
  if (sn !== 0) return undefined;
  if (visit?.('0/0', r, path.length)) return 'proven';
  return r;
};

/** The root a leaf and its audit path lead to, or undefined when the path does not fit the index and size. */
export const rootFromPath = (leaf: Buffer, index: number, size: number, path: readonly Buffer[]): Buffer | undefined => {
  const root = climbPath(leaf, index, size, path);
  return root === 'proven' ? undefined : root;
};
