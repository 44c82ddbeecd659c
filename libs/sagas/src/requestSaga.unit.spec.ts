import { createEvent, type AgentEvent, type WorkflowRequestedPayload } from '@agentbus/events';
import { requestSaga, type SagaPublisher } from './requestSaga';

const recorder = (): SagaPublisher & { published: AgentEvent[] } => {
  const published: AgentEvent[] = [];
  return {
    published,
    publish: async (input) => {
      const event = createEvent(input);
      published.push(event);
      return event;
    },
  };
};

describe('requestSaga', () => {
  it('publishes workflow.requested with the saga id, name and JSON input', async () => {
    const bus = recorder();
    const { sagaId, event } = await requestSaga(bus, { sagaName: 'order', input: { orderId: 'o-1' }, requestedBy: 'did:agent:shop', sagaId: 'order-o-1' });
    const payload: WorkflowRequestedPayload = { sagaId: 'order-o-1', sagaName: 'order', input: '{"orderId":"o-1"}', requestedBy: 'did:agent:shop' };
    expect(sagaId).toBe('order-o-1');
    expect(event).toMatchObject({ type: 'workflow.requested', source: 'did:agent:shop', payload });
    expect(bus.published).toEqual([event]);
  });

  it('gives the saga a fresh ULID when no id is asked for', async () => {
    const { sagaId } = await requestSaga(recorder(), { sagaName: 'order', input: {}, requestedBy: 'me' });
    expect(sagaId).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });
});
