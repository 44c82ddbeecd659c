import { createEvent } from '@agentbus/events';
import { avroRoundTrip } from './avroRecord';
import { loadSchemaCatalog } from './schemaCatalog';

const catalog = loadSchemaCatalog();

describe('avroRoundTrip', () => {
  it('gives left-out fields their schema defaults, as an Avro reader would', () => {
    const event = createEvent({ type: 'task.assigned', source: 'orchestrator', payload: { taskId: 't-1', agentId: 'a-1', assignedBy: 'orchestrator' } });
    expect(avroRoundTrip(catalog, event).payload).toEqual({
      taskId: 't-1',
      agentId: 'a-1',
      assignedBy: 'orchestrator',
      description: '',
      input: null,
      requiredCapability: null,
      deadline: null,
      attempt: 1,
    });
  });

  it('fills defaults inside nested optional records', () => {
    const event = createEvent({ type: 'task.completed', source: 'w', payload: { taskId: 't', result: { status: 'success', output: '{}', metrics: { durationMs: 5 } } } });
    expect(avroRoundTrip(catalog, event).payload).toEqual({ taskId: 't', result: { status: 'success', output: '{}', metrics: { durationMs: 5, tokensUsed: null } } });
  });

  it('still names a left-out field that has no default', () => {
    const event = createEvent({ type: 'task.assigned', source: 'o', payload: { agentId: 'a-1', assignedBy: 'o' } });
    expect(() => avroRoundTrip(catalog, event)).toThrow(/payload\.taskId: expected string, got nothing/);
  });
});
