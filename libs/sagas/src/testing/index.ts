export { SagaSpecification, describeSagaEvent, sagaRequested, taskCompleted, taskFailed, actionApproved, actionVetoed, timeIs, specSagaId, specCorrelationId } from './sagaSpecification';
export type { GivenInput, SagaThen } from './sagaSpecification';
