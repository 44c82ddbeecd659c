import { createHash } from 'node:crypto';
import { canonicalRecord, type AuditRecord } from './auditRecord';

/** What a partition's chain starts from: 32 zero bytes. */
export const genesisHash: Buffer = Buffer.alloc(32);

const hashCanonical = (prevHash: Buffer, canonical: string): Buffer => createHash('sha256').update(prevHash).update(canonical, 'utf8').digest();

/** hash = sha256(prev_hash || canonical record) */
export const chainHash = (prevHash: Buffer, record: AuditRecord): Buffer => hashCanonical(prevHash, canonicalRecord(record));

/** Where a partition's chain ends: how many rows it has and the hash of the last one. */
export interface ChainHead {
  rows: bigint;
  lastHash: Buffer;
}

export const emptyHead: ChainHead = { rows: 0n, lastHash: genesisHash };

export interface ChainedRecord {
  record: AuditRecord;
  /** 0-based place of the row in its partition's chain. */
  position: bigint;
  prevHash: Buffer;
  hash: Buffer;
  /** The text that was hashed (canonicalRecord of the record). */
  canonical: string;
}

/** Appends records (one partition, in offset order) to a chain; returns the rows and the new head. */
export const chainRecords = (head: ChainHead, records: readonly AuditRecord[]): { rows: ChainedRecord[]; head: ChainHead } => {
  let prevHash = head.lastHash;
  let position = head.rows;
  const rows = records.map((record) => {
    const canonical = canonicalRecord(record);
    const hash = hashCanonical(prevHash, canonical);
    const row = { record, position, prevHash, hash, canonical };
    prevHash = hash;
    position += 1n;
    return row;
  });
  return { rows, head: { rows: position, lastHash: prevHash } };
};
