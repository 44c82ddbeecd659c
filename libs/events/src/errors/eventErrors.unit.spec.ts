import { AgentbusError } from './agentbusError';
import { EventDecodeError, EventValidationError, isEventDecodeError, isEventValidationError } from './eventErrors';

describe('EventValidationError', () => {
  const error = new EventValidationError('task.created', [
    { path: 'payload.priority', message: 'expected one of low|normal' },
    { path: 'payload.taskId', message: 'expected string, got nothing' },
  ]);

  it('names the event type and every field path in its message', () => {
    expect(error.message).toBe('Invalid task.created: payload.priority: expected one of low|normal; payload.taskId: expected string, got nothing');
  });

  it('is a non-retriable EVENT_INVALID agentbus error carrying the issues', () => {
    expect(error).toBeInstanceOf(AgentbusError);
    expect(error).toMatchObject({ name: 'EventValidationError', code: 'EVENT_INVALID', retriable: false, eventType: 'task.created' });
    expect(error.context.issues).toHaveLength(2);
    expect(isEventValidationError(error)).toBe(true);
    expect(isEventDecodeError(error)).toBe(false);
  });

  it('says "event" when the type is empty', () => {
    expect(new EventValidationError('', [{ path: 'type', message: 'missing' }]).message).toBe('Invalid event: type: missing');
  });
});

describe('EventDecodeError', () => {
  it('is EVENT_UNDECODABLE with the reason and schema id in context', () => {
    const cause = new Error('boom');
    const error = new EventDecodeError('unknown schema id 7', { schemaId: 7, cause });
    expect(error).toMatchObject({ code: 'EVENT_UNDECODABLE', message: 'Cannot decode event: unknown schema id 7', cause });
    expect(error.context).toEqual({ reason: 'unknown schema id 7', schemaId: 7 });
    expect(isEventDecodeError(error)).toBe(true);
    expect(isEventValidationError(error)).toBe(false);
  });
});
