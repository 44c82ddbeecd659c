import { AgentbusError, isAgentbusError, isRetriable } from './agentbusError';

describe('AgentbusError', () => {
  it('carries code, message and defaults retriable to false and context to {}', () => {
    const error = new AgentbusError('SOME_CODE', 'went wrong');
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'AgentbusError', code: 'SOME_CODE', message: 'went wrong', retriable: false, context: {} });
    expect(error.cause).toBeUndefined();
  });

  it('keeps retriable, context and cause from options', () => {
    const cause = new Error('socket closed');
    const error = new AgentbusError('BROKER_UNAVAILABLE', 'no broker', { retriable: true, context: { host: 'h' }, cause });
    expect(error.retriable).toBe(true);
    expect(error.context).toEqual({ host: 'h' });
    expect(error.cause).toBe(cause);
  });

  it('serialises code, retriable, context and a summarised cause', () => {
    const error = new AgentbusError('X', 'msg', { retriable: true, context: { a: 1 }, cause: new TypeError('inner') });
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'AgentbusError',
      code: 'X',
      message: 'msg',
      retriable: true,
      context: { a: 1 },
      cause: { name: 'TypeError', message: 'inner' },
    });
  });

  it('omits cause from JSON when there is none', () => {
    expect(new AgentbusError('X', 'msg').toJSON()).not.toHaveProperty('cause');
  });
});

describe('isAgentbusError', () => {
  const error = new AgentbusError('SCHEMA_INVALID', 'bad');

  it('matches by shape and optionally by code', () => {
    expect(isAgentbusError(error)).toBe(true);
    expect(isAgentbusError(error, 'SCHEMA_INVALID')).toBe(true);
    expect(isAgentbusError(error, 'CONFIG_INVALID')).toBe(false);
    expect(isAgentbusError({ code: 'SCHEMA_INVALID', retriable: false }, 'SCHEMA_INVALID')).toBe(true);
  });

  it('rejects plain errors and non-objects', () => {
    expect(isAgentbusError(new Error('plain'))).toBe(false);
    expect(isAgentbusError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(false);
    expect(isAgentbusError(null)).toBe(false);
    expect(isAgentbusError('SCHEMA_INVALID')).toBe(false);
  });
});

describe('isRetriable', () => {
  it('is true only for agentbus errors marked retriable', () => {
    expect(isRetriable(new AgentbusError('X', 'm', { retriable: true }))).toBe(true);
    expect(isRetriable(new AgentbusError('X', 'm'))).toBe(false);
    expect(isRetriable(Object.assign(new Error('m'), { retriable: true }))).toBe(false);
  });
});
