import { toAuditRecord } from './auditRecord';
import { verifyChain, type StoredChainRow } from './chainVerifier';
import { chainHash, chainRecords, emptyHead } from './hashChain';

const record = (offset: number) =>
  toAuditRecord({ topic: 't.task', partition: 1, offset: String(offset), timestamp: '1', key: null, value: Buffer.from(`v${offset}`) }, { error: new Error('garbage') });
const chain = (n: number) => chainRecords(emptyHead, Array.from({ length: n }, (_, i) => record(100 + i)));

const verify = (rows: StoredChainRow[], extra: { fromPosition?: bigint; head?: { rows: bigint; lastHash: Buffer } } = {}) =>
  verifyChain(rows, {
    topic: 't.task',
    partition: 1,
    findByHash: async (hash) => {
      const found = rows.find((r) => r.hash.equals(hash));
      return found && { position: found.position, offset: found.record.offset };
    },
    ...extra,
  });

describe('verifyChain', () => {
  it('verifies an untouched chain, including its head', async () => {
    const { rows, head } = chain(5);
    expect(await verify(rows, { head })).toEqual({ topic: 't.task', partition: 1, verified: 5 });
  });

  it('pins a modified row to itself, not to its successors', async () => {
    const { rows, head } = chain(5);
    rows[2] = { ...rows[2]!, record: { ...rows[2]!.record, decodeError: 'forged' } };
    expect((await verify(rows, { head })).problem).toMatchObject({ kind: 'modified', position: '2', offset: '102' });
    expect((await verify(rows, { head })).verified).toBe(2);
  });

  it('pins a modified row whose hash was recomputed by the forger', async () => {
    const { rows, head } = chain(5);
    const forged = { ...rows[2]!.record, source: 'mallory' };
    rows[2] = { ...rows[2]!, record: forged, hash: chainHash(rows[2]!.prevHash, forged) };
    expect((await verify(rows, { head })).problem).toMatchObject({ kind: 'modified', position: '2', offset: '102' });
  });

  it('reports a deleted row where the gap is', async () => {
    const { rows, head } = chain(5);
    rows.splice(3, 1);
    expect((await verify(rows, { head })).problem).toMatchObject({ kind: 'deleted', position: '4', offset: '104', detail: expect.stringContaining('positions 3..3, between offset 102 and offset 104') });
  });

  it('reports a deleted row even when the positions were renumbered to hide the gap', async () => {
    const { rows, head } = chain(5);
    rows.splice(0, 1);
    const renumbered = rows.map((r, i) => ({ ...r, position: BigInt(i) }));
    expect((await verify(renumbered, { head })).problem).toMatchObject({ kind: 'deleted', position: '0', offset: '101' });
  });

  it('reports deleted rows at the end against the head the sink recorded', async () => {
    const { rows, head } = chain(5);
    expect((await verify(rows.slice(0, 3), { head })).problem).toMatchObject({ kind: 'deleted', position: '3', detail: expect.stringContaining('the last 2 rows') });
  });

  it('reports swapped rows as reordered', async () => {
    const { rows, head } = chain(5);
    const [a, b] = [rows[1]!, rows[2]!];
    rows[1] = { ...b, position: 1n };
    rows[2] = { ...a, position: 2n };
    expect((await verify(rows, { head })).problem).toMatchObject({ kind: 'reordered', position: '1', offset: '102' });
  });

  it('reports a row whose offset was rewritten (offsets swapped in place) as modified', async () => {
    const { rows, head } = chain(4);
    rows[1] = { ...rows[1]!, record: { ...rows[1]!.record, offset: '102' } };
    rows[2] = { ...rows[2]!, record: { ...rows[2]!.record, offset: '101' } };
    expect((await verify(rows, { head })).problem).toMatchObject({ kind: 'modified', position: '1', offset: '102' });
  });

  it('starts from a later position, trusting the prev_hash stored there', async () => {
    const { rows, head } = chain(6);
    expect(await verify(rows.slice(3), { fromPosition: 3n, head })).toMatchObject({ verified: 3 });
    expect(await verify(rows.slice(3))).toMatchObject({ problem: { kind: 'deleted', position: '3' } });
  });
});
