import { createHash } from 'node:crypto';
import { encodeTime } from 'ulid';
import type { AgentEvent } from '@agentbus/events';
import type { IdentityRefusal } from '@agentbus/identity';
import { refusedEventOf } from './recordVerifier';

const crockford = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/**
 * A ULID whose time is the refused record's and whose randomness is a hash of where it sits and
 * why: every reader that refuses one record reports the same violation, and the read models count
 * it once.
 */
const violationId = (timestamp: number, seed: string): string => {
  const hash = createHash('sha256').update(seed).digest();
  let random = '';
  for (let i = 0; i < 16; i++) random += crockford[hash[i]! & 31];
  return encodeTime(Math.max(0, Math.min(timestamp, 2 ** 48 - 1)), 10) + random;
};

const severityOf = { EVENT_UNSIGNED: 'medium', SIGNATURE_INVALID: 'high', SOURCE_MISMATCH: 'critical', NOT_AUTHORIZED: 'high' } as const;

export interface RefusedRecord {
  topic: string;
  partition: number;
  offset: string;
  /** Kafka's record timestamp, epoch ms. */
  timestamp: number;
}

/**
 * The `violation.detected` event naming who broke the rule: the proven signer when the signature
 * verified, otherwise the source the record claims (unproven, and the evidence says so). Undefined
 * for a refused violation report itself, so two readers can never report each other in a loop.
 */
export const violationFor = (refusal: IdentityRefusal, record: RefusedRecord, reporter: string): AgentEvent | undefined => {
  const refused = refusedEventOf(refusal);
  if (refused?.eventType === 'violation.detected') return undefined;
  const agentId = refused?.signer ?? refused?.claimedSource ?? 'unknown';
  const evidence = {
    code: refusal.code,
    reason: refusal.message,
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    eventId: refused?.eventId ?? null,
    eventType: refused?.eventType ?? null,
    claimedSource: refused?.claimedSource ?? null,
    signer: refused?.signer ?? null,
    proven: refused?.signer !== undefined,
  };
  const id = violationId(record.timestamp, `${record.topic}/${record.partition}/${record.offset}/${refusal.code}`);
  return {
    id,
    type: 'violation.detected',
    source: reporter,
    timestamp: record.timestamp,
    routingKey: 'violation.detected',
    payload: { agentId, violation: refusal.code.toLowerCase(), severity: severityOf[refusal.code as keyof typeof severityOf] ?? 'high', evidence: JSON.stringify(evidence) },
    metadata: { version: '1', correlationId: refused?.eventId ?? id, causationId: refused?.eventId ?? null },
  } as AgentEvent;
};
