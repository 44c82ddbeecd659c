import { chainRecords, emptyHead, toAuditRecord } from '@agentbus/audit';
import { auditColumns, encodeAuditRows } from './copyBinary';

/** Reads COPY binary back: the signature, then each row as its fields' raw bytes (null for NULL). */
const decode = (data: Buffer): (Buffer | null)[][] => {
  expect(data.subarray(0, 11).toString('latin1')).toBe('PGCOPY\n\xff\r\n\0');
  expect(data.readInt32BE(11)).toBe(0);
  let at = 15 + data.readInt32BE(15) + 4;
  const rows: (Buffer | null)[][] = [];
  for (;;) {
    const fields = data.readInt16BE(at);
    at += 2;
    if (fields === -1) break;
    const row: (Buffer | null)[] = [];
    for (let i = 0; i < fields; i++) {
      const length = data.readInt32BE(at);
      at += 4;
      row.push(length === -1 ? null : data.subarray(at, at + length));
      if (length > 0) at += length;
    }
    rows.push(row);
  }
  expect(at).toBe(data.length);
  return rows;
};

const field = (row: (Buffer | null)[], column: (typeof auditColumns)[number]) => row[auditColumns.indexOf(column)];
const micros2000 = (b: Buffer | null | undefined) => (b == null ? null : b.readBigInt64BE(0));

describe('encodeAuditRows', () => {
  const decoded = toAuditRecord(
    { topic: 't.task', partition: 2, offset: '9007199254740993', timestamp: '1764550923456', key: Buffer.from('k'), value: Buffer.from([0, 0, 0, 0, 7, 1, 2]), headers: { b: Buffer.from('é'), a: ['x', Buffer.from('y')] } },
    { event: { id: 'e-1', type: 'task.created', routingKey: 'task.created', source: 'planner', timestamp: 946_684_799_999, metadata: { correlationId: 'c-1', version: '1.0.0' }, payload: { taskId: 't-1', n: 1.5, emoji: '🚀' } } as never, schemaId: 7 },
  );
  const undecodable = toAuditRecord({ topic: 't.dlq', partition: 0, offset: '3', timestamp: -1, key: null, value: null }, { error: new Error('not avro') });
  const { rows } = chainRecords(emptyHead, [decoded, undecodable]);
  const [first, second] = decode(encodeAuditRows(rows));

  it('writes every column of every row, in order', () => {
    expect(first).toHaveLength(auditColumns.length);
    expect(field(first!, 'topic')!.toString()).toBe('t.task');
    expect(field(first!, 'partition')!.readInt32BE(0)).toBe(2);
    expect(field(first!, 'kafka_offset')!.readBigInt64BE(0)).toBe(9007199254740993n);
    expect(field(first!, 'position')!.readBigInt64BE(0)).toBe(0n);
    expect(field(second!, 'position')!.readBigInt64BE(0)).toBe(1n);
    expect(field(first!, 'record_key')!.toString()).toBe('k');
    expect(field(first!, 'raw')).toEqual(Buffer.from([0, 0, 0, 0, 7, 1, 2]));
    expect(field(first!, 'schema_id')!.readInt32BE(0)).toBe(7);
    expect(field(first!, 'source')!.toString()).toBe('planner');
    expect(field(first!, 'prev_hash')).toEqual(rows[0]!.prevHash);
    expect(field(first!, 'hash')).toEqual(rows[0]!.hash);
    expect(field(second!, 'prev_hash')).toEqual(rows[0]!.hash);
  });

  it('writes timestamps as microseconds since 2000-01-01, before that epoch too', () => {
    expect(micros2000(field(first!, 'kafka_timestamp'))).toBe(BigInt(1_764_550_923_456 - 946_684_800_000) * 1000n);
    expect(micros2000(field(first!, 'occurred_at'))).toBe(-1000n);
    expect(field(second!, 'kafka_timestamp')).toBeNull();
  });

  it('writes jsonb as version 1 and the canonical JSON, UTF-8 counted in bytes', () => {
    const headers = field(first!, 'headers')!;
    expect(headers[0]).toBe(1);
    expect(headers.subarray(1).toString('utf8')).toBe(decoded.headers);
    expect(JSON.parse(field(first!, 'payload')!.subarray(1).toString('utf8'))).toEqual({ taskId: 't-1', n: 1.5, emoji: '🚀' });
  });

  it('writes NULL for what a record lacks', () => {
    for (const column of ['record_key', 'raw', 'event_id', 'type', 'occurred_at', 'payload', 'schema_id'] as const) expect(field(second!, column)).toBeNull();
    expect(field(second!, 'decode_error')!.toString()).toBe('not avro');
  });

  it('grows its buffer for long multi-byte text', () => {
    const long = toAuditRecord({ topic: 't', partition: 0, offset: '0', timestamp: 0, key: null, value: null }, { event: { id: 'x', type: 'y', timestamp: 0, metadata: {}, payload: { text: 'é🚀'.repeat(5000) } } as never, schemaId: 1 });
    const [row] = decode(encodeAuditRows(chainRecords(emptyHead, [long]).rows));
    expect(JSON.parse(field(row!, 'payload')!.subarray(1).toString('utf8'))).toEqual({ text: 'é🚀'.repeat(5000) });
  });

  it('writes an empty batch as signature and trailer only', () => {
    expect(decode(encodeAuditRows([]))).toEqual([]);
  });
});
