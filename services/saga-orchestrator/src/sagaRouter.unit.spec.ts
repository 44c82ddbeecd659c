import { loadSchemaCatalog } from '@agentbus/codec';
import type { AgentEvent } from '@agentbus/events';
import { builtInSagas, compileSaga, type SagaDefinition } from '@agentbus/sagas';
import { messageKey, outcomeCategories, sagaRouter } from './sagaRouter';

const catalog = loadSchemaCatalog();
const router = sagaRouter(builtInSagas.map((d) => compileSaga(d)), catalog);
const event = (type: string, payload: Record<string, unknown>) => ({ type, payload, source: 'x' }) as unknown as AgentEvent;

describe('saga router', () => {
  it('tells from the routing key alone which events no saga acts on, so they are not decoded', () => {
    expect(router.mayBeActedOn('task.completed.worker-7')).toBe(true);
    expect(router.mayBeActedOn('workflow.requested')).toBe(true);
    expect(router.mayBeActedOn('task.created')).toBe(false);
    expect(router.mayBeActedOn('saga.step.dispatched')).toBe(false);
    // An unknown routing key could be any type: decode it to find out.
    expect(router.mayBeActedOn('custom')).toBe(true);
  });

  it('routes a start by saga id and an outcome by its correlation key', () => {
    expect(router.route(event('workflow.requested', { sagaId: 's-1', sagaName: 'order' }))).toEqual({ sagaId: 's-1' });
    expect(router.route(event('task.completed', { taskId: 't-9' }))).toEqual({ key: 't-9' });
    expect(router.route(event('action.vetoed', { actionId: 'a-2' }))).toEqual({ key: 'a-2' });
    expect(router.route(event('task.created', { taskId: 't-9' }))).toBeUndefined();
  });

  it('keys saga events by saga and commands by the entity they are about', () => {
    expect(messageKey(event('saga.started', { sagaId: 's-1' }))).toBe('s-1');
    expect(messageKey(event('task.assigned', { taskId: 't-1', sagaId: 's-1' }))).toBe('t-1');
    expect(messageKey(event('action.proposed', { actionId: 'a-1' }))).toBe('a-1');
  });

  it('reads the saga, task and decision topics, plus those the sagas’ event steps complete on', () => {
    expect([...outcomeCategories(builtInSagas.map((d) => d as SagaDefinition), catalog)].sort()).toEqual(expect.arrayContaining(['decision', 'saga', 'task']));
  });
});
