import { isUtf8 } from 'node:buffer';
import { isAgentbusError, type AgentEvent } from '@agentbus/events';

/**
 * One Kafka record exactly as the audit trail stores it: every value here is what its column
 * holds, so the canonical encoding can be recomputed from a stored row. Text is already made
 * storable (see `storableText`), payload and headers are canonical JSON text.
 */
export interface AuditRecord {
  topic: string;
  partition: number;
  /** Kafka offset, a decimal string (int64). */
  offset: string;
  /** Kafka's record timestamp, epoch ms; null when the broker gave none usable. */
  kafkaTimestamp: number | null;
  key: Buffer | null;
  value: Buffer | null;
  /** Canonical JSON of the record headers (name → text, or a list of texts; a value that is not UTF-8 as `{"base64": …}`). */
  headers: string;
  eventId: string | null;
  type: string | null;
  routingKey: string | null;
  source: string | null;
  /** The event's own timestamp, epoch ms. */
  occurredAt: number | null;
  correlationId: string | null;
  causationId: string | null;
  schemaId: number | null;
  schemaVersion: string | null;
  /** Canonical JSON of the decoded payload; null when the record could not be decoded. */
  payload: string | null;
  decodeError: string | null;
}

export type RawHeaderValue = Buffer | string | (Buffer | string)[] | undefined;

export interface RawRecord {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string | number | undefined;
  key: Buffer | null | undefined;
  value: Buffer | null | undefined;
  headers?: Record<string, RawHeaderValue> | undefined;
}

export type DecodeOutcome = { event: AgentEvent; schemaId: number } | { error: unknown };

type WellFormed = { isWellFormed(): boolean; toWellFormed(): string };

/**
 * Postgres text and jsonb hold neither NUL nor lone UTF-16 surrogates (node-pg would silently turn
 * a lone surrogate into U+FFFD, and the stored row would no longer hash like the record). Both
 * become U+FFFD here, once, before hashing; the raw bytes keep the original.
 */
export const storableText = (text: string): string => {
  if (text.indexOf('\u0000') === -1 && (text as unknown as WellFormed).isWellFormed()) return text;
  return (text.replaceAll('\u0000', '\uFFFD') as unknown as WellFormed).toWellFormed();
};

/**
 * JSON with object keys sorted at every level, no whitespace, Buffers as base64 and undefined
 * members left out: the same text for a value and for that value read back from jsonb.
 */
export const canonicalJson = (value: unknown): string => {
  if (value === null || value === undefined) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(storableText(value));
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'object': {
      if (Buffer.isBuffer(value) || value instanceof Uint8Array) return JSON.stringify(Buffer.from(value).toString('base64'));
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          const v: unknown = value[i];
          out += `${i === 0 ? '' : ','}${v === undefined || typeof v === 'function' ? 'null' : canonicalJson(v)}`;
        }
        return `${out}]`;
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      let out = '{';
      for (const key of keys) {
        const v = record[key];
        if (v === undefined || typeof v === 'function') continue;
        out += `${out.length === 1 ? '' : ','}${JSON.stringify(storableText(key))}:${canonicalJson(v)}`;
      }
      return `${out}}`;
    }
    default:
      return 'null';
  }
};

// Postgres timestamptz reaches from 4713 BC; JavaScript dates end at ±8.64e15 ms. Year 1 to 275760.
const firstUsableMs = -62_135_596_800_000;
const lastUsableMs = 8_640_000_000_000_000;
const usableTime = (ms: number): number | null => (Number.isSafeInteger(ms) && ms >= firstUsableMs && ms <= lastUsableMs ? ms : null);

// Bytes that are not UTF-8 (a v3 agentbus-signature) are kept whole as base64, not turned into U+FFFD.
const headerJson = (value: Buffer | string): string =>
  Buffer.isBuffer(value) && !isUtf8(value) ? `{"base64":${JSON.stringify(value.toString('base64'))}}` : JSON.stringify(storableText(Buffer.isBuffer(value) ? value.toString('utf8') : String(value)));

/** A header value as `headers` stores it, back as text or, for `{"base64": …}`, as the bytes. */
export const storedHeaderValue = (value: unknown): string | Buffer => {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && typeof (value as { base64?: unknown }).base64 === 'string') return Buffer.from((value as { base64: string }).base64, 'base64');
  return Array.isArray(value) ? value.map(String).join(',') : String(value);
};

/** canonicalJson of the headers as text, written directly: this runs for every record. */
const canonicalHeaders = (headers: Record<string, RawHeaderValue> | undefined): string => {
  if (!headers) return '{}';
  const names = Object.keys(headers).sort();
  let out = '{';
  for (const name of names) {
    const value = headers[name];
    if (value === undefined) continue;
    out += `${out.length === 1 ? '' : ','}${JSON.stringify(storableText(name))}:`;
    if (Array.isArray(value)) {
      out += '[';
      for (let i = 0; i < value.length; i++) out += `${i === 0 ? '' : ','}${headerJson(value[i]!)}`;
      out += ']';
    } else {
      out += headerJson(value);
    }
  }
  return `${out}}`;
};

const errorText = (error: unknown): string => storableText(isAgentbusError(error) ? `${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error));

/** The schema id of a Confluent wire-format value (magic byte 0, then a 4-byte id), even when decoding failed. */
const wireSchemaId = (value: Buffer | null): number | null => (value && value.length >= 5 && value[0] === 0 ? value.readUInt32BE(1) : null);

const nullableText = (text: string | undefined | null): string | null => (text === undefined || text === null ? null : storableText(String(text)));

/** A Kafka record and what decoding it gave, as the row the audit trail stores. */
export const toAuditRecord = (raw: RawRecord, decoded: DecodeOutcome): AuditRecord => {
  const value = raw.value ?? null;
  // Kafka says -1 for a record without a timestamp.
  const kafkaTimestamp = raw.timestamp === undefined || Number(raw.timestamp) < 0 ? null : usableTime(Number(raw.timestamp));
  const headers = canonicalHeaders(raw.headers);
  // One object literal with every field (no spreads): this runs for every record.
  if ('error' in decoded) {
    return {
      topic: raw.topic,
      partition: raw.partition,
      offset: raw.offset,
      kafkaTimestamp,
      key: raw.key ?? null,
      value,
      headers,
      eventId: null,
      type: null,
      routingKey: null,
      source: null,
      occurredAt: null,
      correlationId: null,
      causationId: null,
      schemaId: wireSchemaId(value),
      schemaVersion: null,
      payload: null,
      decodeError: errorText(decoded.error),
    };
  }
  const { event, schemaId } = decoded;
  return {
    topic: raw.topic,
    partition: raw.partition,
    offset: raw.offset,
    kafkaTimestamp,
    key: raw.key ?? null,
    value,
    headers,
    eventId: nullableText(event.id),
    type: nullableText(event.type),
    routingKey: nullableText(event.routingKey),
    source: nullableText(event.source),
    occurredAt: usableTime(Number(event.timestamp)),
    correlationId: nullableText(event.metadata.correlationId),
    causationId: nullableText(event.metadata.causationId),
    schemaId,
    schemaVersion: nullableText(event.metadata.version),
    payload: canonicalJson(event.payload),
    decodeError: null,
  };
};

const canonicalVersion = JSON.stringify('agentbus.audit.v1');
const text = (t: string | null): string => (t === null ? 'null' : JSON.stringify(t));
const bytes = (b: Buffer | null): string => (b === null ? 'null' : `"${b.toString('base64')}"`);
const int = (n: number | null): string => (n === null ? 'null' : String(n));

/**
 * The bytes a record contributes to its partition's hash chain: one JSON object with every stored
 * field under a short name, in a fixed order, bytes as base64, headers and payload as their
 * canonical JSON. The row's place in the chain (its position) is not part of it: the links
 * between hashes carry the order. The sink also ships this text to Postgres as the row itself,
 * so each record is serialised once.
 */
export const canonicalRecord = (r: AuditRecord): string =>
  `{"ver":${canonicalVersion},"tp":${JSON.stringify(r.topic)},"pt":${int(r.partition)},"o":${JSON.stringify(r.offset)},"kt":${int(r.kafkaTimestamp)},"k":${bytes(r.key)},"v":${bytes(r.value)},"h":${r.headers},"id":${text(r.eventId)},"ty":${text(r.type)},"rk":${text(r.routingKey)},"src":${text(r.source)},"ot":${int(r.occurredAt)},"cid":${text(r.correlationId)},"caid":${text(r.causationId)},"sid":${int(r.schemaId)},"sv":${text(r.schemaVersion)},"de":${text(r.decodeError)},"pl":${r.payload ?? 'null'}}`;

/** A row of `audit.records` as node-pg returns it. */
export interface AuditRow {
  topic: string;
  partition: number;
  kafka_offset: string;
  position: string;
  kafka_timestamp: Date | null;
  record_key: Buffer | null;
  raw: Buffer | null;
  headers: unknown;
  event_id: string | null;
  type: string | null;
  routing_key: string | null;
  source: string | null;
  occurred_at: Date | null;
  correlation_id: string | null;
  causation_id: string | null;
  schema_id: number | null;
  schema_version: string | null;
  payload: unknown;
  decode_error: string | null;
  prev_hash: Buffer;
  hash: Buffer;
}

/** The record a stored row claims to be, ready to be hashed again. */
export const auditRecordFromRow = (row: AuditRow): AuditRecord => ({
  topic: row.topic,
  partition: row.partition,
  offset: String(row.kafka_offset),
  kafkaTimestamp: row.kafka_timestamp === null ? null : row.kafka_timestamp.getTime(),
  key: row.record_key,
  value: row.raw,
  headers: canonicalJson(row.headers),
  eventId: row.event_id,
  type: row.type,
  routingKey: row.routing_key,
  source: row.source,
  occurredAt: row.occurred_at === null ? null : row.occurred_at.getTime(),
  correlationId: row.correlation_id,
  causationId: row.causation_id,
  schemaId: row.schema_id,
  schemaVersion: row.schema_version,
  payload: row.payload === null ? null : canonicalJson(row.payload),
  decodeError: row.decode_error,
});
