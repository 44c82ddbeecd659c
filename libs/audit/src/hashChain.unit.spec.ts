import { createHash } from 'node:crypto';
import { toAuditRecord } from './auditRecord';
import { canonicalRecord } from './auditRecord';
import { chainHash, chainRecords, emptyHead, genesisHash } from './hashChain';

const record = (offset: number) => toAuditRecord({ topic: 't.task', partition: 0, offset: String(offset), timestamp: '1', key: null, value: Buffer.from(`v${offset}`) }, { error: new Error('garbage') });

describe('hash chain', () => {
  it('hashes sha256(prev_hash || canonical record)', () => {
    const r = record(0);
    expect(chainHash(genesisHash, r)).toEqual(createHash('sha256').update(Buffer.concat([genesisHash, Buffer.from(canonicalRecord(r), 'utf8')])).digest());
  });

  it('links each row to the one before, from the genesis, and continues from a head', () => {
    const first = chainRecords(emptyHead, [record(0), record(1)]);
    expect(first.rows.map((r) => r.position)).toEqual([0n, 1n]);
    expect(first.rows[0]!.prevHash).toEqual(genesisHash);
    expect(first.rows[1]!.prevHash).toEqual(first.rows[0]!.hash);
    expect(first.head).toEqual({ rows: 2n, lastHash: first.rows[1]!.hash });

    const next = chainRecords(first.head, [record(2)]);
    const whole = chainRecords(emptyHead, [record(0), record(1), record(2)]);
    expect(next.rows[0]).toEqual(whole.rows[2]);
    expect(next.head).toEqual(whole.head);
  });

  it('leaves the head as it was for no records', () => {
    expect(chainRecords(emptyHead, [])).toEqual({ rows: [], head: emptyHead });
  });
});
