export { toAuditRecord, auditRecordFromRow, canonicalRecord, canonicalJson, storableText, storedHeaderValue } from './auditRecord';
export type { AuditRecord, AuditRow, RawRecord, RawHeaderValue, DecodeOutcome } from './auditRecord';
export { chainHash, chainRecords, genesisHash, emptyHead } from './hashChain';
export type { ChainHead, ChainedRecord } from './hashChain';
export { verifyChain } from './chainVerifier';
export type { StoredChainRow, ChainProblem, ChainProblemKind, ChainVerification, VerifyChainOptions } from './chainVerifier';
export { buildCausationTree, renderCausationTree } from './causationTree';
export type { TraceEvent, CausationNode, CausationTree } from './causationTree';
