export type { AgentCandidate, FindCapableOptions, AgentDirectory, AgentSnapshot } from './agentDirectory';
export { agentSnapshot, noAgents } from './agentDirectory';
export type {
  StepContext,
  Assignee,
  TaskCommand,
  EventCommand,
  ApprovalCommand,
  OutcomeMatcher,
  StepCommand,
  RetryPolicy,
  StepDefinition,
  SagaDefinition,
  CompiledSaga,
} from './sagaDefinition';
export { defineSaga, compileSaga, defaultRetry, defaultCompensationRetry, SagaDefinitionError } from './sagaDefinition';
export type { SagaStatus, StepStatus, StepState, DispatchedKey, KeyOutcome, SagaState, SagaEvent, SagaEventType } from './sagaState';
export { initialSagaState, evolveSaga, isFinished, sagaEventTypes } from './sagaState';
export type { SagaInput, DecideContext, Decision } from './sagaDecider';
export { decideSaga, nextWakeup, correlationKeyOf } from './sagaDecider';
export type { SagaPublisher, SagaRequest } from './requestSaga';
export { requestSaga } from './requestSaga';
export type { OrderInput } from './orderSaga';
export { orderSaga, pipelineSaga, builtInSagas } from './orderSaga';
