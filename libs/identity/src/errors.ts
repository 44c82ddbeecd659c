import { AgentbusError, isAgentbusError } from '@agentbus/events';

export const IdentityErrorCodes = {
  eventUnsigned: 'EVENT_UNSIGNED',
  signatureInvalid: 'SIGNATURE_INVALID',
  sourceMismatch: 'SOURCE_MISMATCH',
  notAuthorized: 'NOT_AUTHORIZED',
  signingKeyInvalid: 'SIGNING_KEY_INVALID',
  didInvalid: 'DID_INVALID',
  policyUnavailable: 'POLICY_UNAVAILABLE',
} as const;

/** A record with no `agentbus-signature` header, read where signatures are required. */
export class EventUnsignedError extends AgentbusError {
  constructor(readonly topic: string) {
    super(IdentityErrorCodes.eventUnsigned, `Unsigned event on ${topic}: no agentbus-signature header`, { context: { topic } });
    this.name = 'EventUnsignedError';
  }
}

/** A signature header that cannot be parsed, names a key we cannot use, or does not verify over the record. */
export class SignatureInvalidError extends AgentbusError {
  constructor(
    readonly reason: string,
    readonly keyId?: string,
  ) {
    super(IdentityErrorCodes.signatureInvalid, `Invalid signature${keyId ? ` by ${keyId}` : ''}: ${reason}`, { context: { reason, ...(keyId ? { keyId } : {}) } });
    this.name = 'SignatureInvalidError';
  }
}

/** A valid signature, but the body's `source` names someone else than the signer. */
export class SourceMismatchError extends AgentbusError {
  constructor(
    readonly source: string,
    readonly signer: string,
  ) {
    super(IdentityErrorCodes.sourceMismatch, `Source mismatch: the event claims source ${JSON.stringify(source)} but was signed by ${signer}`, { context: { source, signer } });
    this.name = 'SourceMismatchError';
  }
}

export type NotAuthorizedReason = 'unknown' | 'revoked' | 'type';

/** A valid signature by a key the policy does not allow to emit this event type. */
export class NotAuthorizedError extends AgentbusError {
  constructor(
    readonly signer: string,
    readonly eventType: string,
    readonly reason: NotAuthorizedReason,
  ) {
    const why = { unknown: 'is not in the agent policy', revoked: 'was revoked', type: `may not emit ${eventType}` }[reason];
    super(IdentityErrorCodes.notAuthorized, `Not authorized: ${signer} ${why}`, { context: { signer, eventType, reason } });
    this.name = 'NotAuthorizedError';
  }
}

/** A private key file that is not an Ed25519 PKCS#8 key. The message never contains key material. */
export class SigningKeyInvalidError extends AgentbusError {
  constructor(reason: string, readonly file?: string) {
    super(IdentityErrorCodes.signingKeyInvalid, `Invalid signing key${file ? ` in ${file}` : ''}: ${reason}`, { context: { reason, ...(file ? { file } : {}) } });
    this.name = 'SigningKeyInvalidError';
  }
}

export class DidInvalidError extends AgentbusError {
  constructor(
    readonly did: string,
    reason: string,
  ) {
    super(IdentityErrorCodes.didInvalid, `Invalid did:key ${JSON.stringify(did.slice(0, 120))}: ${reason}`, { context: { did: did.slice(0, 120), reason } });
    this.name = 'DidInvalidError';
  }
}

/** The agent policy could not be read (Postgres down, table missing): retriable, so readers wait in order rather than refuse. */
export class PolicyUnavailableError extends AgentbusError {
  constructor(cause: unknown) {
    super(IdentityErrorCodes.policyUnavailable, `The agent policy cannot be read: ${cause instanceof Error ? cause.message : String(cause)}`, { retriable: true, cause });
    this.name = 'PolicyUnavailableError';
  }
}

const refusalCodes: ReadonlySet<string> = new Set([IdentityErrorCodes.eventUnsigned, IdentityErrorCodes.signatureInvalid, IdentityErrorCodes.sourceMismatch, IdentityErrorCodes.notAuthorized]);

export type IdentityRefusal = EventUnsignedError | SignatureInvalidError | SourceMismatchError | NotAuthorizedError;

/** One of the four reasons a reader refuses a record for who wrote it. */
export const isIdentityRefusal = (e: unknown): e is IdentityRefusal => isAgentbusError(e) && refusalCodes.has(e.code);
export const isEventUnsignedError = (e: unknown): e is EventUnsignedError => isAgentbusError(e, IdentityErrorCodes.eventUnsigned);
export const isSignatureInvalidError = (e: unknown): e is SignatureInvalidError => isAgentbusError(e, IdentityErrorCodes.signatureInvalid);
export const isSourceMismatchError = (e: unknown): e is SourceMismatchError => isAgentbusError(e, IdentityErrorCodes.sourceMismatch);
export const isNotAuthorizedError = (e: unknown): e is NotAuthorizedError => isAgentbusError(e, IdentityErrorCodes.notAuthorized);
export const isSigningKeyInvalidError = (e: unknown): e is SigningKeyInvalidError => isAgentbusError(e, IdentityErrorCodes.signingKeyInvalid);
export const isDidInvalidError = (e: unknown): e is DidInvalidError => isAgentbusError(e, IdentityErrorCodes.didInvalid);
