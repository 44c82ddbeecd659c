import { hash, verify, type KeyObject } from 'node:crypto';
import { ed25519KeyOfBytes } from './didKey';
import { SignatureInvalidError, isDidInvalidError } from './errors';
import { hashBytes, type HashText } from './merkleTree';
import type { SigningKey } from './signingKey';
import { batchLeafHash, field } from './signingInput';

/**
 * v4 batch signatures (docs/identity.md, "v4"): one Ed25519 signature per publish over the
 * records of every partition it wrote, and no audit path in each record. A v3 record carries a
 * 359-byte header, most of it its path, and kafkajs copies those bytes at every level of a produce
 * request: measured on publishMany, headers of v4's size left signing at 0.80-0.84 of unsigned
 * publishing where v3's stay at 0.70. The price is that a record no longer verifies alone: its
 * group's leaves are carried by the group's last record, which Kafka stores in the same record
 * batch (one produce, one partition), so every fetch that returns a record returns its carrier.
 *
 * A group is the records one produce wrote to one partition, in order; a signature covers up to
 * `maxSignatureGroups` groups. Members carry 8 bytes: marker, version, algorithm, kind, then
 * their leaf index and the group's size. The carrier (the last leaf) adds the public key, the
 * signature, its group's index and the number of groups, every group's hash, and its group's
 * leaves. A member's carrier is the record `size - 1 - leaf` offsets after it in its partition,
 * or, for a copy kept elsewhere (a dead letter), the carrier's header attached to it.
 */
export const carrierVersion = 4;
/** The header a copy of a v4 member kept away from its group (a dead letter) carries its group's carrier in. */
export const carrierHeaderName = 'agentbus-signature-carrier';
const marker = 0xff;
const ed25519 = 1;
const kindMember = 0;
const kindCarrier = 1;
const publicKeyBytes = 32;
const signatureBytes = 64;
export const memberHeaderBytes = 8;
const keyAt = memberHeaderBytes;
const signatureAt = keyAt + publicKeyBytes;
const groupAt = signatureAt + signatureBytes;
const groupHashesAt = groupAt + 4;
/** A carrier holds its group's leaves: 32 bytes each, so 32 KB at most. */
export const maxGroupLeaves = 1024;
/** Every carrier holds every group's hash: 512 bytes at most. */
export const maxSignatureGroups = 16;

export const carrierRootDomain = 'agentbus-batch-signature/v4';
const groupHashPrefix = 0x02;

export interface RecordToSignV4 {
  topic: string;
  routingKey: string | undefined;
  value: Buffer | null;
}

/** SHA-256 of 0x02, the group's size (4 bytes, big-endian) and its leaves: 0x02 is neither an RFC 9162 leaf (0x00) nor node (0x01). */
export const groupHash = (leaves: string): HashText => {
  const input = Buffer.allocUnsafe(5 + leaves.length);
  input[0] = groupHashPrefix;
  input.writeUInt32BE(leaves.length / hashBytes, 1);
  input.write(leaves, 5, 'latin1');
  return hash('sha256', input, 'binary');
};

/** What a v4 signature signs: tag, algorithm, the signer's did:key, the number of groups (4 bytes) and their hashes in order. */
export const carrierRootInput = (algorithm: string, keyId: string, groupHashes: string): Buffer => {
  const count = Buffer.alloc(4);
  count.writeUInt32BE(groupHashes.length / hashBytes);
  return Buffer.concat([...field(Buffer.from(carrierRootDomain, 'utf8')), ...field(Buffer.from(algorithm, 'utf8')), ...field(Buffer.from(keyId, 'utf8')), ...field(count), ...field(Buffer.from(groupHashes, 'latin1'))]);
};

/** The 8 bytes every v4 header starts with; a member's header is exactly these. */
const writePlace = (out: Buffer, kind: number, leaf: number, size: number): Buffer => {
  out[0] = marker;
  out[1] = carrierVersion;
  out[2] = ed25519;
  out[3] = kind;
  out.writeUInt16BE(leaf, 4);
  out.writeUInt16BE(size, 6);
  return out;
};

const memberHeader = (leaf: number, size: number): Buffer => writePlace(Buffer.allocUnsafe(memberHeaderBytes), kindMember, leaf, size);

const carrierHeader = (key: SigningKey, signature: Buffer, group: number, groupHashes: string, leaves: string): Buffer => {
  const size = leaves.length / hashBytes;
  const out = writePlace(Buffer.allocUnsafe(groupHashesAt + groupHashes.length + leaves.length), kindCarrier, size - 1, size);
  out.set(key.publicKeyBytes, keyAt);
  out.set(signature, signatureAt);
  out.writeUInt16BE(group, groupAt);
  out.writeUInt16BE(groupHashes.length / hashBytes, groupAt + 2);
  out.write(groupHashes, groupHashesAt, 'latin1');
  out.write(leaves, groupHashesAt + groupHashes.length, 'latin1');
  return out;
};

/**
 * The `agentbus-signature` values (v4) for records produced together, `groups[g][i]` for the
 * i-th record a produce writes to one partition. The records of a group must be produced in this
 * order, together and to one partition, so that they are stored as one Kafka record batch: the
 * last one carries the group. A group larger than `maxGroupLeaves` is split into consecutive
 * groups; more than `maxSignatureGroups` groups take more signatures.
 */
export const signRecordGroups = (key: SigningKey, groups: readonly (readonly RecordToSignV4[])[]): Buffer[][] => {
  const pieces: { group: number; start: number; records: readonly RecordToSignV4[] }[] = [];
  groups.forEach((records, group) => {
    for (let start = 0; start < records.length; start += maxGroupLeaves) pieces.push({ group, start, records: records.slice(start, start + maxGroupLeaves) });
  });
  const out: Buffer[][] = groups.map((records) => new Array<Buffer>(records.length));
  for (let first = 0; first < pieces.length; first += maxSignatureGroups) {
    const signed = pieces.slice(first, first + maxSignatureGroups);
    const leavesOf = signed.map(({ records }) => {
      let leaves = '';
      for (const record of records) leaves += batchLeafHash({ algorithm: 'ed25519', keyId: key.did, topic: record.topic, routingKey: record.routingKey, value: record.value });
      return leaves;
    });
    const groupHashes = leavesOf.map(groupHash).join('');
    const signature = key.sign(carrierRootInput('ed25519', key.did, groupHashes));
    signed.forEach(({ group, start, records }, g) => {
      const headers = out[group]!;
      for (let i = 0; i < records.length - 1; i++) headers[start + i] = memberHeader(i, records.length);
      headers[start + records.length - 1] = carrierHeader(key, signature, g, groupHashes, leavesOf[g]!);
    });
  }
  return out;
};

export const isCarrierSignatureHeader = (value: string | Buffer | undefined): value is Buffer => value !== undefined && typeof value !== 'string' && value.length >= 2 && value[0] === marker && value[1] === carrierVersion;

export interface CarrierPlace {
  kind: 'member' | 'carrier';
  leaf: number;
  size: number;
}

/** The kind, leaf and size of a v4 header; SIGNATURE_INVALID with the reason when its first 8 bytes are not a v4 header's. */
export const parseCarrierPlace = (bytes: Buffer): CarrierPlace => {
  if (bytes.length < memberHeaderBytes) throw new SignatureInvalidError(`a v4 header is at least ${memberHeaderBytes} bytes, got ${bytes.length}`);
  if (bytes[2] !== ed25519) throw new SignatureInvalidError(`unknown algorithm 0x${bytes[2]!.toString(16).padStart(2, '0')} (0x01 is Ed25519)`);
  if (bytes[3] !== kindMember && bytes[3] !== kindCarrier) throw new SignatureInvalidError(`unknown v4 header kind ${bytes[3]} (0 is a member, 1 a carrier)`);
  const kind = bytes[3] === kindCarrier ? 'carrier' : 'member';
  const leaf = bytes.readUInt16BE(4);
  const size = bytes.readUInt16BE(6);
  if (size < 1 || size > maxGroupLeaves || leaf >= size) throw new SignatureInvalidError(`leaf ${leaf} is outside a group of ${size} (1 to ${maxGroupLeaves})`);
  if (kind === 'member' && bytes.length !== memberHeaderBytes) throw new SignatureInvalidError(`a v4 member header is ${memberHeaderBytes} bytes, got ${bytes.length}`);
  if (kind === 'carrier' && leaf !== size - 1) throw new SignatureInvalidError(`a v4 carrier is the last leaf of its group (${size - 1}), not leaf ${leaf}`);
  return { kind, leaf, size };
};

/** A carrier whose signature verified: who signed its group, and the group's leaves. */
export interface ProvenGroup {
  keyId: string;
  size: number;
  /** The group's leaf hashes, concatenated as latin1 text. */
  leaves: string;
}

const keyOf = (raw: Buffer): { did: string; key: KeyObject } => {
  try {
    return ed25519KeyOfBytes(raw);
  } catch (error) {
    if (isDidInvalidError(error)) throw new SignatureInvalidError(`key ${error.message.replace(/^Invalid did:key /, '')}`);
    throw error;
  }
};

/**
 * Checks a v4 carrier header on its own: layout, its group's hash among the signed ones, and the
 * Ed25519 signature over them (once per signature when `verifiedRoots` is shared: the carriers of
 * one publish share it). Throws SIGNATURE_INVALID with the reason.
 */
export const proveCarrier = (bytes: Buffer, verifiedRoots?: Map<string, string>): ProvenGroup => {
  const place = parseCarrierPlace(bytes);
  if (place.kind !== 'carrier') throw new SignatureInvalidError('the header is a v4 member, not the carrier of its group');
  if (bytes.length < groupHashesAt) throw new SignatureInvalidError(`a v4 carrier is at least ${groupHashesAt} bytes, got ${bytes.length}`);
  const group = bytes.readUInt16BE(groupAt);
  const groups = bytes.readUInt16BE(groupAt + 2);
  if (groups < 1 || groups > maxSignatureGroups || group >= groups) throw new SignatureInvalidError(`group ${group} is outside a signature over ${groups} groups (1 to ${maxSignatureGroups})`);
  const leavesAt = groupHashesAt + groups * hashBytes;
  const expected = leavesAt + place.size * hashBytes;
  if (bytes.length !== expected) throw new SignatureInvalidError(`a v4 carrier of ${groups} groups and ${place.size} leaves is ${expected} bytes, got ${bytes.length}`);
  const { did, key } = keyOf(bytes.subarray(keyAt, signatureAt));
  const groupHashes = bytes.toString('latin1', groupHashesAt, leavesAt);
  const leaves = bytes.toString('latin1', leavesAt);
  if (groupHash(leaves) !== groupHashes.slice(group * hashBytes, (group + 1) * hashBytes)) throw new SignatureInvalidError(`the leaves of group ${group} do not hash to the group hash the signature covers`, did);
  const root = bytes.toString('latin1', keyAt, leavesAt);
  if (verifiedRoots?.get(root) !== did) {
    if (!verify(null, carrierRootInput('ed25519', did, groupHashes), key, bytes.subarray(signatureAt, groupAt))) {
      throw new SignatureInvalidError('the signature does not match its groups (a leaf or group hash changed, or another key signed it)', did);
    }
    if (verifiedRoots) {
      if (verifiedRoots.size >= 1024) verifiedRoots.delete(verifiedRoots.keys().next().value!);
      verifiedRoots.set(root, did);
    }
  }
  return { keyId: did, size: place.size, leaves };
};

/** Where a record was read: a v4 member's carrier is found from it. */
export interface RecordPosition {
  partition: number;
  offset: string;
}

/** The offset of a v4 member's carrier: the last record of its group, in the same partition. */
export const carrierOffset = (offset: string, place: CarrierPlace): string => {
  const at = Number(offset) + place.size - 1 - place.leaf;
  // Offsets are int64; past 2^53 a number would round, so the rare such offset takes a BigInt.
  return Number.isSafeInteger(at) ? String(at) : (BigInt(offset) + BigInt(place.size - 1 - place.leaf)).toString();
};

/** The carrier offset of a record whose `agentbus-signature` is a v4 member header; undefined for anything else. */
export const memberCarrierOffset = (signature: string | Buffer | undefined, offset: string): string | undefined => {
  if (!isCarrierSignatureHeader(signature) || signature.length !== memberHeaderBytes || signature[3] !== kindMember) return undefined;
  const leaf = signature.readUInt16BE(4);
  const size = signature.readUInt16BE(6);
  return leaf < size ? carrierOffset(offset, { kind: 'member', leaf, size }) : undefined;
};

/** Whether the header is a v4 carrier's (its own group's leaves on it). */
export const isCarrierHeader = (signature: string | Buffer | undefined): signature is Buffer => isCarrierSignatureHeader(signature) && signature.length > memberHeaderBytes && signature[3] === kindCarrier;
