import { EventDecodeError } from '@agentbus/events';

// Confluent wire format: magic byte 0, big-endian int32 schema id, then the Avro body.
// https://docs.confluent.io/platform/current/schema-registry/fundamentals/serdes-develop/index.html#wire-format
const MAGIC_BYTE = 0;
const HEADER_LENGTH = 5;

// Avro bodies are written straight after the header into this scratch space, then copied out
// once: one allocation per event instead of two. Bodies that do not fit take the slow path.
const scratch = Buffer.allocUnsafe(1024 * 1024);

export const encodeToWireFormat = (schemaId: number, type: { encode(value: unknown, buffer: Buffer, position: number): number; toBuffer(value: unknown): Buffer }, value: unknown): Buffer => {
  const end = type.encode(value, scratch, HEADER_LENGTH);
  if (end < 0) return toWireFormat(schemaId, type.toBuffer(value));
  scratch.writeUInt8(MAGIC_BYTE, 0);
  scratch.writeInt32BE(schemaId, 1);
  return Buffer.from(scratch.subarray(0, end));
};

export const toWireFormat = (schemaId: number, body: Buffer): Buffer => {
  const out = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  out.writeUInt8(MAGIC_BYTE, 0);
  out.writeInt32BE(schemaId, 1);
  body.copy(out, HEADER_LENGTH);
  return out;
};

export const fromWireFormat = (bytes: Buffer | null | undefined): { schemaId: number; body: Buffer } => {
  if (!bytes || bytes.length < HEADER_LENGTH) {
    throw new EventDecodeError(`message is ${bytes?.length ?? 0} bytes, shorter than the ${HEADER_LENGTH}-byte wire header`);
  }
  const magic = bytes.readUInt8(0);
  if (magic !== MAGIC_BYTE) throw new EventDecodeError(`wrong magic byte ${magic}, expected ${MAGIC_BYTE}`);
  return { schemaId: bytes.readInt32BE(1), body: bytes.subarray(HEADER_LENGTH) };
};
