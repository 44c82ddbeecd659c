export { base58Encode, base58Decode } from './base58';
export { didKeyFromPublicKey, publicKeyOfDid, publicKeyBytesOfDid, isDidKey, ed25519KeyOfBytes } from './didKey';
export { SigningKey, generateSigningKey, signingKeyFromPem, readSigningKeyFile } from './signingKey';
export { signingInput, signingDomain, batchLeafDomain, batchRootDomain, batchRootInput } from './signingInput';
export { merkleTree, rootFromPath, leafHash } from './merkleTree';
export type { SignedParts } from './signingInput';
export { signatureHeader, signatureAlgorithm, formatSignatureHeader, formatBatchSignatureHeader, parseSignatureHeader, compactPrefix, formatCompactSignatureHeader, parseCompactSignatureHeader, isCompactHeader, isWellFormedCompact, compactTreeId } from './signatureHeader';
export type { SignatureHeader, SingleSignatureHeader, BatchSignatureHeader, CompactSignatureHeader, TreeSignatureHeader } from './signatureHeader';
export { signRecord, signRecords, signRecordsV2, verifyRecordSignature, VerifiedBatches, maxBatchLeaves } from './recordSignature';
export type { RecordToSign, RecordToVerify } from './recordSignature';
export { signRecordGroups, carrierHeaderName, memberCarrierOffset, isCarrierHeader } from './carrierSignature';
export {
  IdentityErrorCodes,
  EventUnsignedError,
  SignatureInvalidError,
  SourceMismatchError,
  NotAuthorizedError,
  SigningKeyInvalidError,
  DidInvalidError,
  PolicyUnavailableError,
  isIdentityRefusal,
  isEventUnsignedError,
  isSignatureInvalidError,
  isSourceMismatchError,
  isNotAuthorizedError,
  isSigningKeyInvalidError,
  isDidInvalidError,
} from './errors';
export type { IdentityRefusal, NotAuthorizedReason } from './errors';
export { staticAgentPolicy } from './policy/agentPolicy';
export type { AgentGrant, AgentPolicySource } from './policy/agentPolicy';
export { migrateIdentity, identitySchema, policyReaderRole } from './policy/migrations';
export { allowAgent, revokeAgent, listAgents, postgresAgentPolicy } from './policy/postgresAgentPolicy';
export { identityEnvSchema, verificationModes } from './config';
export type { IdentityEnv, VerificationMode } from './config';
