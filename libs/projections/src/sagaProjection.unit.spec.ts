import { sagaProjection } from './sagaProjection';
import { ProjectionSpecification } from './testing/projectionSpecification';
import { testEvent } from './testing/testEvent';

const at = (s: number) => Date.UTC(2025, 0, 1, 0, 0, s);
const sagaId = 'saga-1';
const started = testEvent('saga.started', { sagaId, sagaName: 'order', input: '{"orderId":"o-1"}', steps: ['create-order', 'process-payment'] }, { at: at(1), correlationId: 'c1' });
const dispatched = testEvent('saga.step.dispatched', { sagaId, stepId: 'process-payment', phase: 'forward', attempt: 1, commandId: 'cmd-1', commandType: 'task.assigned', correlationKey: 'saga-1.process-payment.1', agentId: 'pay-1', capability: 'payments', deadline: at(20) }, { at: at(2) });
const failed = testEvent('saga.step.failed', { sagaId, stepId: 'process-payment', phase: 'forward', attempt: 1, error: 'card declined', willRetry: false, retryAt: null, outcomeEventId: 'x' }, { at: at(3) });
const compensating = testEvent('saga.compensating', { sagaId, failedStep: 'process-payment', reason: 'card declined', steps: ['create-order'] }, { at: at(4) });
const endedFailed = testEvent('saga.failed', { sagaId, status: 'failed_compensation', failedStep: 'create-order', reason: 'compensation of create-order failed' }, { at: at(5) });
const alert = testEvent('saga.operator_alert', { sagaId, sagaName: 'order', severity: 'critical', stepId: 'create-order', reason: 'undo by hand' }, { at: at(6) });

describe('sagas read model', () => {
  const spec = ProjectionSpecification.for(sagaProjection);

  it('starts a saga as running with its input', () => {
    spec.given([]).when(started).thenRow('sagas', { saga_id: sagaId }, { saga_name: 'order', status: 'running', input: { orderId: 'o-1' }, started_at: at(1), correlation_id: 'c1' });
  });

  it('follows the current step, compensation and the end state, and flags an operator alert', () => {
    spec.given([started]).when([dispatched]).thenRow('sagas', { saga_id: sagaId }, { current_step: 'process-payment', status: 'running' });
    spec.given([started, dispatched, failed]).when([compensating]).thenRow('sagas', { saga_id: sagaId }, { status: 'compensating', failed_step: 'process-payment', reason: 'card declined' });
    spec
      .given([started, dispatched, failed, compensating])
      .when([endedFailed, alert])
      .thenRow('sagas', { saga_id: sagaId }, { status: 'failed_compensation', failed_step: 'create-order', current_step: null, finished_at: at(5), alerted: true });
  });

  it('keeps one timeline row per event, with step, phase, attempt, agent and a readable detail', () => {
    spec.given([started]).when([dispatched, failed]).thenRow('saga_timeline', { event_id: dispatched.id }, { saga_id: sagaId, type: 'saga.step.dispatched', step_id: 'process-payment', phase: 'forward', attempt: 1, agent_id: 'pay-1', detail: 'task.assigned saga-1.process-payment.1 (capability payments)', occurred_at: at(2) });
    spec.given([started, dispatched]).when(failed).thenRow('saga_timeline', { event_id: failed.id }, { detail: 'card declined', step_id: 'process-payment' });
  });
});
