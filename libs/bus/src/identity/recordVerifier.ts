import type { IHeaders } from 'kafkajs';
import { isRetriable, type AgentEvent } from '@agentbus/events';
import {
  NotAuthorizedError,
  SourceMismatchError,
  isIdentityRefusal,
  signatureHeader,
  carrierHeaderName,
  verificationModes,
  verifyRecordSignature,
  VerifiedBatches,
  type AgentGrant,
  type AgentPolicySource,
  type IdentityRefusal,
  type VerificationMode,
} from '@agentbus/identity';
import { InvalidVerificationError } from '../errors';
import { Headers, headerValue } from '../kafka/headers';
import { parsePattern, type RoutingPattern } from '../routing/routingPattern';

export interface RecordVerifierOptions {
  mode: VerificationMode;
  /** Who may emit what; required unless mode is off. */
  policy?: AgentPolicySource;
  /** Each refusal in `warn` mode, where the event is still delivered. */
  onWarning?: (refusal: IdentityRefusal, topic: string) => void;
}

export interface SignedRecord {
  value: Buffer | null;
  headers?: IHeaders;
  /** Where it was read: a v4 member is proven by its group's carrier, found from its offset. */
  partition?: number;
  offset?: string;
}

/** The refused event, as far as it is known: what a violation report names. */
export interface RefusedEvent {
  /** Unknown when the record could not be decoded. */
  eventId?: string;
  eventType?: string;
  claimedSource?: string;
  /** The proven signer, when the signature verified (SOURCE_MISMATCH, NOT_AUTHORIZED). */
  signer?: string;
}

// As read, bytes and all: a v3 header is binary, and UTF-8 text would not carry it.
const signatureOf = (headers: IHeaders | undefined): string | Buffer | undefined => {
  const value = headers?.[signatureHeader];
  return Array.isArray(value) ? value.map(String).join(',') : value;
};

const tagged = (refusal: IdentityRefusal, topic: string, event: AgentEvent | undefined, signer: string | undefined): IdentityRefusal => {
  const refused: Partial<RefusedEvent> = { ...(event ? { eventId: event.id, eventType: event.type, claimedSource: event.source } : {}), ...(signer ? { signer } : {}) };
  Object.assign(refusal.context, { topic, refused });
  return refusal;
};

export const refusedEventOf = (refusal: IdentityRefusal): RefusedEvent | undefined => refusal.context.refused as RefusedEvent | undefined;

/** Checked when the verifier is built, so a wrong mode or a missing policy fails at start-up, not at the first record. */
export const assertVerificationMode = (mode: unknown, hasPolicy: boolean, where: string): VerificationMode => {
  if (!(verificationModes as readonly unknown[]).includes(mode)) throw new InvalidVerificationError(where, `must be one of ${verificationModes.join(', ')}, got ${JSON.stringify(mode)}`);
  if (mode !== 'off' && !hasPolicy) throw new InvalidVerificationError(where, `${JSON.stringify(mode)} needs an agent policy (the bus's policy option, e.g. postgresAgentPolicy(db)) to know who may emit what`);
  return mode as VerificationMode;
};

/**
 * Who wrote a record and whether they were allowed to: the signature over the record's bytes, the
 * body's source against the signer, and the signer's grant against the event type. One verifier
 * per reader; public keys and compiled patterns are cached, so a record costs one Ed25519 verify,
 * and the records of a batch signature (v2) one between them.
 */
export class RecordVerifier {
  readonly mode: VerificationMode;
  private readonly patterns = new Map<string, RoutingPattern>();
  private readonly verifiedBatches = new VerifiedBatches();

  constructor(private readonly options: RecordVerifierOptions) {
    this.mode = assertVerificationMode(options.mode, options.policy !== undefined, 'verify');
  }

  /** Batch-signed records checked against a root already verified, and Ed25519 verifications of batch roots. */
  get verifiedBatchCounts(): VerifiedBatches['counts'] {
    return { ...this.verifiedBatches.counts };
  }

  /**
   * The refusal, or undefined when the record is signed by its source and the source may emit its
   * type. The signature is checked on the bytes alone; without the decoded event only it is. With
   * `at`, a revocation counts only from its time on. Policy outages throw (retriable).
   */
  async check(topic: string, record: SignedRecord, event: AgentEvent | undefined, at?: Date): Promise<IdentityRefusal | undefined> {
    let signer: string | undefined;
    try {
      signer = this.signerOf(topic, record);
      if (event) await this.authorize(signer, event, at);
      return undefined;
    } catch (error) {
      if (!isIdentityRefusal(error)) throw error;
      return tagged(error, topic, event, signer);
    }
  }

  /**
   * Decodes and checks, for the decode path. The signature is checked first, over the bytes as
   * they are, so any change to a signed record is SIGNATURE_INVALID even when it no longer decodes.
   * `require` throws the refusal, `warn` reports it and returns the event, `off` only decodes.
   * `lenient` decodes without the header checks, only to name who a refused record claims to be.
   */
  async decodeVerified<T extends { event: AgentEvent }>(topic: string, record: SignedRecord, decode: () => Promise<T>, lenient?: () => Promise<T>): Promise<T> {
    if (this.mode === 'off') return decode();
    let signer: string | undefined;
    let refusal: IdentityRefusal | undefined;
    try {
      signer = this.signerOf(topic, record);
    } catch (error) {
      if (!isIdentityRefusal(error)) throw error;
      refusal = error;
    }
    let decoded: T;
    try {
      decoded = await decode();
    } catch (error) {
      if (refusal && this.mode === 'require' && !isRetriable(error)) throw tagged(refusal, topic, (await lenient?.().catch(() => undefined))?.event, undefined);
      throw error;
    }
    if (!refusal) {
      try {
        await this.authorize(signer!, decoded.event);
      } catch (error) {
        if (!isIdentityRefusal(error)) throw error;
        refusal = error;
      }
    }
    if (!refusal) return decoded;
    tagged(refusal, topic, decoded.event, signer);
    if (this.mode === 'require') throw refusal;
    this.options.onWarning?.(refusal, topic);
    return decoded;
  }

  /**
   * `decodeVerified` without a promise, for the common case: the schema known (`decodeKnown`
   * gives the event), the signature good and the signer's grant in memory and allowing the type.
   * Undefined whenever any of that does not hold, refusals included: then `decodeVerified`
   * decides, so every refusal, warning and retry goes through one path.
   */
  decodeVerifiedNow<T extends { event: AgentEvent }>(topic: string, record: SignedRecord, decodeKnown: () => T | undefined): T | undefined {
    if (this.mode === 'off') return decodeKnown();
    let signer: string;
    let decoded: T | undefined;
    try {
      signer = this.signerOf(topic, record);
      decoded = decodeKnown();
    } catch {
      return undefined;
    }
    if (!decoded || decoded.event.source !== signer) return undefined;
    const known = this.options.policy!.grantNow?.(signer);
    if (!known || this.refusalOf(known.grant, decoded.event.type)) return undefined;
    return decoded;
  }

  /**
   * Reads the v4 carriers of records fetched together before any of them is checked: a group's
   * carrier is its last record, so its members come first. Records of other versions are skipped.
   */
  learnCarriers(topic: string, partition: number, records: readonly { offset: string; headers?: IHeaders }[]): void {
    if (this.mode === 'off') return;
    for (const record of records) this.verifiedBatches.learnCarrier(topic, { partition, offset: record.offset }, signatureOf(record.headers));
  }

  private signerOf(topic: string, record: SignedRecord): string {
    const carrier = record.headers?.[carrierHeaderName];
    return verifyRecordSignature(
      {
        topic,
        routingKey: headerValue(record.headers, Headers.routingKey),
        value: record.value,
        signature: signatureOf(record.headers),
        ...(record.partition !== undefined && record.offset !== undefined ? { position: { partition: record.partition, offset: record.offset } } : {}),
        ...(Buffer.isBuffer(carrier) ? { carrier } : {}),
      },
      this.verifiedBatches,
    );
  }

  /** `at`: judge the grant as it stood then (an audit of what was recorded before a revocation); now by default. */
  private async authorize(signer: string, event: AgentEvent, at?: Date): Promise<void> {
    if (event.source !== signer) throw new SourceMismatchError(event.source, signer);
    const reason = this.refusalOf(await this.options.policy!.grantOf(signer), event.type, at);
    if (reason) throw new NotAuthorizedError(signer, event.type, reason);
  }

  private refusalOf(grant: AgentGrant | undefined, eventType: string, at?: Date): 'unknown' | 'revoked' | 'type' | undefined {
    if (!grant) return 'unknown';
    if (grant.revokedAt && (at === undefined || at.getTime() >= new Date(grant.revokedAt).getTime())) return 'revoked';
    return grant.types.some((t) => this.pattern(t)?.matches(eventType)) ? undefined : 'type';
  }

  private pattern(text: string): RoutingPattern | undefined {
    let pattern = this.patterns.get(text);
    if (!pattern) {
      try {
        pattern = parsePattern(text);
      } catch {
        // A pattern the CLI would refuse, written to the table by hand: it grants nothing.
        return undefined;
      }
      this.patterns.set(text, pattern);
    }
    return pattern;
  }
}
