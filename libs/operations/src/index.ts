export { deadLetterMatcher, refOf, resolveSourceTopic, sourcesOf } from './deadLetters';
export type { DeadLetterMatch } from './deadLetters';
export { replayDeadLetters } from './replayDeadLetters';
export type { ReplayResult } from './replayDeadLetters';
export { verifyAuditTrail, describeProblem } from './auditVerification';
export { loadTraceEvents } from './traces';
export { loadSagaTimeline } from './sagaTimeline';
export type { SagaRow, TimelineRow } from './sagaTimeline';
export { NotRecordedError, OperationsErrorCodes, isNotRecordedError } from './errors';
