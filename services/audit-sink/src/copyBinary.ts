import type { ChainedRecord } from '@agentbus/audit';

/**
 * The audit rows in COPY's binary format (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4):
 * every field is its length and its bytes, so raw keys and values, headers and payload go as they
 * are, with no escaping, base64 or JSON around them for Postgres to undo. Pure: the bytes of one
 * COPY, built before the COPY starts, so an encoding failure never leaves a COPY half sent.
 */
export const auditColumns = [
  'topic',
  'partition',
  'kafka_offset',
  'position',
  'kafka_timestamp',
  'record_key',
  'raw',
  'headers',
  'event_id',
  'type',
  'routing_key',
  'source',
  'occurred_at',
  'correlation_id',
  'causation_id',
  'schema_id',
  'schema_version',
  'payload',
  'decode_error',
  'prev_hash',
  'hash',
] as const;

const signature = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
// Postgres timestamps count microseconds from 2000-01-01 UTC.
const postgresEpochMs = 946_684_800_000;
const jsonbVersion = 1;
const twoTo32 = 2 ** 32;

/** A growing buffer of COPY binary fields. */
class BinaryRows {
  private buffer: Buffer;
  private at = 0;

  constructor(sizeHint: number) {
    this.buffer = Buffer.allocUnsafe(Math.max(1024, sizeHint));
  }

  private room(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.at + bytes));
    this.buffer.copy(grown, 0, 0, this.at);
    this.buffer = grown;
  }

  raw(bytes: Buffer): void {
    this.room(bytes.length);
    bytes.copy(this.buffer, this.at);
    this.at += bytes.length;
  }

  int16(n: number): void {
    this.room(2);
    this.at = this.buffer.writeInt16BE(n, this.at);
  }

  int32(n: number): void {
    this.room(4);
    this.at = this.buffer.writeInt32BE(n, this.at);
  }

  null(): void {
    this.int32(-1);
  }

  int4Field(n: number | null): void {
    if (n === null) return this.null();
    this.room(8);
    this.at = this.buffer.writeInt32BE(4, this.at);
    this.at = this.buffer.writeInt32BE(n, this.at);
  }

  int8Field(n: bigint): void {
    this.room(12);
    this.at = this.buffer.writeInt32BE(8, this.at);
    this.at = this.buffer.writeBigInt64BE(n, this.at);
  }

  timestampField(epochMs: number | null): void {
    if (epochMs === null) return this.null();
    const micros = (epochMs - postgresEpochMs) * 1000;
    this.room(12);
    this.at = this.buffer.writeInt32BE(8, this.at);
    if (Number.isSafeInteger(micros)) {
      const high = Math.floor(micros / twoTo32);
      this.at = this.buffer.writeInt32BE(high, this.at);
      this.at = this.buffer.writeUInt32BE(micros - high * twoTo32, this.at);
    } else {
      this.at = this.buffer.writeBigInt64BE(BigInt(epochMs - postgresEpochMs) * 1000n, this.at);
    }
  }

  bytesField(bytes: Buffer | null): void {
    if (bytes === null) return this.null();
    this.int32(bytes.length);
    this.raw(bytes);
  }

  /** UTF-8 text; `prefix` is written before it (jsonb's version byte). */
  textField(text: string | null, prefix?: number): void {
    if (text === null) return this.null();
    const extra = prefix === undefined ? 0 : 1;
    // At most 3 bytes per UTF-16 unit; the length is written once the text is.
    this.room(4 + extra + text.length * 3);
    const lengthAt = this.at;
    this.at += 4;
    if (prefix !== undefined) this.buffer[this.at++] = prefix;
    const written = this.buffer.write(text, this.at, 'utf8');
    this.at += written;
    this.buffer.writeInt32BE(written + extra, lengthAt);
  }

  jsonbField(json: string | null): void {
    this.textField(json, jsonbVersion);
  }

  done(): Buffer {
    return this.buffer.subarray(0, this.at);
  }
}

/** One COPY's data: the signature, then each chained record as a row of `auditColumns`, then the trailer. */
export const encodeAuditRows = (rows: readonly ChainedRecord[]): Buffer => {
  const out = new BinaryRows(rows.reduce((n, r) => n + r.canonical.length, 64) * 1.1);
  out.raw(signature);
  out.int32(0); // flags
  out.int32(0); // header extension length
  for (const { record: r, position, prevHash, hash } of rows) {
    out.int16(auditColumns.length);
    out.textField(r.topic);
    out.int4Field(r.partition);
    out.int8Field(BigInt(r.offset));
    out.int8Field(position);
    out.timestampField(r.kafkaTimestamp);
    out.bytesField(r.key);
    out.bytesField(r.value);
    out.jsonbField(r.headers);
    out.textField(r.eventId);
    out.textField(r.type);
    out.textField(r.routingKey);
    out.textField(r.source);
    out.timestampField(r.occurredAt);
    out.textField(r.correlationId);
    out.textField(r.causationId);
    out.int4Field(r.schemaId);
    out.textField(r.schemaVersion);
    // A JSON null payload is stored as SQL NULL, as json_to_recordset stored it.
    out.jsonbField(r.payload === 'null' ? null : r.payload);
    out.textField(r.decodeError);
    out.bytesField(prevHash);
    out.bytesField(hash);
  }
  out.int16(-1);
  return out.done();
};
