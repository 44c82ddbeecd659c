import { agentSnapshot } from './agentDirectory';
import { orderSaga } from './orderSaga';
import { SagaSpecification, sagaRequested, taskCompleted, taskFailed, timeIs } from './testing';

const agents = agentSnapshot({
  orders: [{ agentId: 'orders-1', capacity: 4, load: 0 }],
  inventory: [{ agentId: 'stock-1', capacity: 4, load: 0 }],
  payments: [{ agentId: 'pay-1', capacity: 4, load: 0 }],
});
const spec = SagaSpecification.for(orderSaga, { agents });
const order = { orderId: 'o-1', items: [{ sku: 'sku-1', quantity: 2 }], amount: 40 };
const start = sagaRequested('order', order);

describe('order saga', () => {
  it('starts by creating the order with an agent that has the orders capability', () => {
    spec
      .given()
      .when(start)
      .then(['saga.started', 'task.assigned create order -> orders-1', 'saga.step.dispatched create-order #1'])
      .thenState((s) => expect(s.status).toBe('running'));
  });

  it('runs the steps in order and completes with every output', () => {
    const run = spec
      .given(start, taskCompleted('create-order'), taskCompleted('reserve-inventory'), taskCompleted('process-payment', { charged: 40 }))
      .when(taskCompleted('complete-order'))
      .then(['saga.step.completed complete-order #1', 'saga.completed']);
    expect(JSON.parse((run.events[1]!.payload as { output: string }).output)).toMatchObject({ 'process-payment': { charged: 40 } });
  });

  it('sends each command inside the saga workflow, caused by the event that led to it', () => {
    const run = spec.given(start).when(taskCompleted('create-order', { ok: true }, { id: 'done-1' }));
    for (const event of run.events) expect(event.metadata).toEqual({ correlationId: 'corr-1', causationId: 'done-1', version: '1' });
    expect(run.events[1]).toMatchObject({ type: 'task.assigned', routingKey: 'task.assigned.stock-1', payload: { agentId: 'stock-1', requiredCapability: 'inventory', attempt: 1 } });
  });

  it.each([
    ['create-order', [], []],
    ['reserve-inventory', ['create-order'], ['cancel order -> orders-1']],
    ['process-payment', ['create-order', 'reserve-inventory'], ['release inventory -> stock-1']],
    ['complete-order', ['create-order', 'reserve-inventory', 'process-payment'], ['refund payment -> pay-1']],
  ])('a final failure at %s compensates the completed steps in reverse, starting with the last', (failing, done, firstUndo) => {
    const toUndo = [...done].reverse();
    spec
      .given(start, ...done.map((s) => taskCompleted(s)))
      .when(taskFailed(failing, 'declined'))
      .then([
        `saga.step.failed ${failing} #1 final`,
        `saga.compensating [${toUndo.join(', ')}]`,
        ...(toUndo.length === 0
          ? ['saga.compensated []', 'saga.failed failed']
          : [`task.assigned ${firstUndo[0]}`, `saga.step.dispatched ${toUndo[0]} (undo) #1`]),
      ]);
  });

  it('awaits each compensation like a step, in reverse order, then fails the saga as compensated', () => {
    const failedAtPayment = [start, taskCompleted('create-order'), taskCompleted('reserve-inventory'), taskFailed('process-payment', 'card declined')];
    spec
      .given(...failedAtPayment)
      .when(taskCompleted('reserve-inventory'))
      .then(['saga.step.completed reserve-inventory (undo) #1', 'task.assigned cancel order -> orders-1', 'saga.step.dispatched create-order (undo) #1']);
    spec
      .given(...failedAtPayment, taskCompleted('reserve-inventory'))
      .when(taskCompleted('create-order'))
      .then(['saga.step.completed create-order (undo) #1', 'saga.compensated [reserve-inventory, create-order]', 'saga.failed failed'])
      .thenState((s) => expect(s.status).toBe('failed'));
  });

  it('retries a retriable failure after the backoff, then gives up and compensates', () => {
    const t0 = 1_000_000;
    spec
      .given(start, taskCompleted('create-order'))
      .when(taskFailed('reserve-inventory', 'store busy', { retriable: true }))
      .then(['saga.step.failed reserve-inventory #1 retry']);
    spec
      .given(start, taskCompleted('create-order'), taskFailed('reserve-inventory', 'store busy', { retriable: true }))
      .when(timeIs(t0 + 1000))
      .then(['task.assigned reserve inventory -> stock-1', 'saga.step.dispatched reserve-inventory #2']);
    spec
      .given(start, taskCompleted('create-order'), taskFailed('reserve-inventory', 'busy', { retriable: true }), timeIs(t0 + 1000), taskFailed('reserve-inventory', 'busy', { retriable: true }), timeIs(t0 + 3000))
      .when(taskFailed('reserve-inventory', 'busy', { retriable: true }))
      .then(['saga.step.failed reserve-inventory #3 final', 'saga.compensating [create-order]', 'task.assigned cancel order -> orders-1', 'saga.step.dispatched create-order (undo) #1']);
  });

  it('times a step out at its deadline, and retries it', () => {
    spec
      .given(start)
      .when(timeIs(1_000_000 + 10_000))
      .then(['saga.step.timed_out create-order #1 retry']);
  });

  it('nothing happens before a deadline', () => {
    spec.given(start).when(timeIs(1_000_000 + 9_999)).then([]);
  });

  it('a compensation that keeps failing is retried, then the saga is failed_compensation with an operator alert', () => {
    const compensating = [start, taskCompleted('create-order'), taskFailed('reserve-inventory', 'out of stock')];
    const failures = [1, 2, 3, 4].flatMap((n) => [taskFailed('create-order', 'orders db down', { retriable: true }), timeIs(1_000_000 + 1000 * 2 ** n)]);
    spec
      .given(...compensating, ...failures)
      .when(taskFailed('create-order', 'orders db down', { retriable: true }))
      .then(['saga.step.failed create-order (undo) #5 final', 'saga.failed failed_compensation', 'saga.operator_alert'])
      .thenState((s) => expect(s.status).toBe('failed_compensation'));
  });

  it('fails at once, before any step, on an invalid input, naming the field', () => {
    const run = spec.given().when(sagaRequested('order', { orderId: 'o-1', items: [] })).then(['saga.started', 'saga.failed failed']);
    expect(run.events[1]!.payload).toMatchObject({ reason: 'invalid input: items: expected a non-empty array' });
  });

  it('a step with no capable agent online fails its attempt and is retried later', () => {
    SagaSpecification.for(orderSaga)
      .given()
      .when(start)
      .then(['saga.started', 'saga.step.failed create-order #1 retry']);
  });
});

describe('idempotence', () => {
  it('records a duplicate completion and does not act on it twice', () => {
    spec
      .given(start, taskCompleted('create-order', {}, { id: 'c1' }))
      .when((s) => taskCompleted('create-order', {}, { id: 'c1-again', key: Object.keys(s.keys)[0] })(s))
      .then(['saga.event_ignored task.completed duplicate']);
  });

  it('records a late completion after a timeout and does not act on it', () => {
    spec
      .given(start, timeIs(1_010_000), timeIs(1_011_000))
      .when((s) => taskCompleted('create-order', {}, { key: Object.keys(s.keys)[0] })(s))
      .then(['saga.event_ignored task.completed late']);
  });

  it('records an event for a finished saga and does nothing else', () => {
    spec
      .given(start, taskFailed('create-order', 'no'))
      .when(taskCompleted('create-order'))
      .then(['saga.event_ignored task.completed finished']);
  });

  it('ignores a second workflow.requested for the same saga', () => {
    spec.given(start).when(sagaRequested('order', order, { id: 'req-2' })).then(['saga.event_ignored workflow.requested duplicate']);
  });

  it('ignores an outcome with the right task id from another workflow', () => {
    spec.given(start).when(taskCompleted('create-order', {}, { correlationId: 'someone-else' })).then(['saga.event_ignored task.completed unexpected']);
  });
});
