import { chainHash, genesisHash, type ChainHead } from './hashChain';
import type { AuditRecord } from './auditRecord';

/** A stored row: the record it claims to be, where it sits in the chain, and its links. */
export interface StoredChainRow {
  record: AuditRecord;
  position: bigint;
  prevHash: Buffer;
  hash: Buffer;
}

export type ChainProblemKind = 'modified' | 'deleted' | 'reordered';

export interface ChainProblem {
  kind: ChainProblemKind;
  topic: string;
  partition: number;
  /** Position and offset of the row the problem was found at. */
  position: string;
  offset: string | null;
  eventId: string | null;
  detail: string;
}

export interface ChainVerification {
  topic: string;
  partition: number;
  verified: number;
  problem?: ChainProblem;
}

export interface VerifyChainOptions {
  topic: string;
  partition: number;
  /**
   * Where verification starts. Omitted: at the genesis of the chain (position 0). Given: at that
   * position, trusting the stored prev_hash of its row (nothing before it is checked).
   */
  fromPosition?: bigint;
  /** The row (of this partition) whose hash is `hash`, wherever it is stored; I/O, passed in. */
  findByHash: (hash: Buffer) => Promise<{ position: bigint; offset: string } | undefined>;
  /** The head the sink recorded with its last batch; checked against the last row (lost tail). */
  head?: ChainHead;
}

const short = (hash: Buffer): string => hash.toString('hex').slice(0, 16);

/**
 * Recomputes one partition's chain from its rows in position order and reports the first row
 * that was modified, deleted or reordered. Each row is checked on its own (its content against
 * its hash) and against its neighbour (its prev_hash against the hash of the row before it), so
 * a change is pinned to the row it was made to.
 */
export const verifyChain = async (rows: AsyncIterable<StoredChainRow> | Iterable<StoredChainRow>, options: VerifyChainOptions): Promise<ChainVerification> => {
  const { topic, partition } = options;
  let verified = 0;
  let previous: StoredChainRow | undefined;
  let expectedPosition = options.fromPosition ?? 0n;
  const at = (row: StoredChainRow, kind: ChainProblemKind, detail: string): ChainVerification => ({
    topic,
    partition,
    verified,
    problem: { kind, topic, partition, position: row.position.toString(), offset: row.record.offset, eventId: row.record.eventId, detail },
  });

  for await (const row of rows) {
    if (row.position > expectedPosition) {
      const gap = row.position - expectedPosition;
      const after = previous ? `offset ${previous.record.offset}` : 'the start of the chain';
      return at(row, 'deleted', `${gap} row${gap === 1n ? '' : 's'} missing before this one (positions ${expectedPosition}..${row.position - 1n}, between ${after} and offset ${row.record.offset})`);
    }
    if (previous && BigInt(row.record.offset) <= BigInt(previous.record.offset)) {
      return at(row, 'reordered', `offset ${row.record.offset} is stored after offset ${previous.record.offset}`);
    }
    const recomputed = chainHash(row.prevHash, row.record);
    if (!recomputed.equals(row.hash)) {
      return at(row, 'modified', `its content no longer matches its hash (stored ${short(row.hash)}…, recomputed ${short(recomputed)}…)`);
    }
    const expectedPrev = previous ? previous.hash : options.fromPosition === undefined ? genesisHash : row.prevHash;
    if (!row.prevHash.equals(expectedPrev)) {
      const chainedTo = await options.findByHash(row.prevHash);
      if (chainedTo) {
        return at(row, 'reordered', `it was chained after offset ${chainedTo.offset} (position ${chainedTo.position}), but is stored at position ${row.position}`);
      }
      if (previous) {
        return {
          ...at(previous, 'modified', `its hash was rewritten: the next row (offset ${row.record.offset}) was chained to ${short(row.prevHash)}…, the row now hashes to ${short(previous.hash)}…`),
        };
      }
      return at(row, 'deleted', `it was chained to ${short(row.prevHash)}…, a row that is no longer stored before it`);
    }
    verified++;
    previous = row;
    expectedPosition = row.position + 1n;
  }

  const head = options.head;
  if (head && head.rows > expectedPosition) {
    const lost = head.rows - expectedPosition;
    return {
      topic,
      partition,
      verified,
      problem: {
        kind: 'deleted',
        topic,
        partition,
        position: expectedPosition.toString(),
        offset: null,
        eventId: null,
        detail: `the last ${lost} row${lost === 1n ? '' : 's'} (positions ${expectedPosition}..${head.rows - 1n}${previous ? `, after offset ${previous.record.offset}` : ''}) are missing: the sink recorded ${head.rows} rows`,
      },
    };
  }
  if (head && previous && head.rows === expectedPosition && !head.lastHash.equals(previous.hash)) {
    return at(previous, 'modified', `the last row hashes to ${short(previous.hash)}…, the sink recorded ${short(head.lastHash)}… as the end of the chain`);
  }
  return { topic, partition, verified };
};
