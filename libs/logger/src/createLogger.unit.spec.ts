import { createLogger, loggerForEvent, redactUrl } from './createLogger';

const collectingLogger = (level = 'info') => {
  const lines: Record<string, unknown>[] = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line)) };
  return { logger: createLogger({ name: 'test-service', level, destination }), lines };
};

describe('createLogger', () => {
  it('writes JSON lines with the service name and a textual level', () => {
    const { logger, lines } = collectingLogger();
    logger.info({ n: 1 }, 'hello');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ service: 'test-service', name: 'test-service', level: 'info', msg: 'hello', n: 1 });
    expect(typeof lines[0]!.time).toBe('string');
  });

  it('drops lines below the configured level', () => {
    const { logger, lines } = collectingLogger('warn');
    logger.info('quiet');
    logger.warn('loud');
    expect(lines.map((l) => l.msg)).toEqual(['loud']);
  });

  it('censors password, sasl and auth fields', () => {
    const { logger, lines } = collectingLogger();
    logger.info({
      password: 'p0',
      kafka: { brokers: ['b:9092'], sasl: { mechanism: 'plain', username: 'u', password: 'p1' } },
      config: { registry: { url: 'http://r', password: 'p2' } },
      registry: { auth: { username: 'u', password: 'p3' } },
    });
    expect(lines[0]).toMatchObject({
      password: '[redacted]',
      kafka: { brokers: ['b:9092'], sasl: '[redacted]' },
      config: { registry: { url: 'http://r', password: '[redacted]' } },
      registry: { auth: '[redacted]' },
    });
    expect(JSON.stringify(lines[0])).not.toMatch(/p[0-3]"/);
  });
});

describe('loggerForEvent', () => {
  it('binds eventId, eventType, correlationId and causationId into every line', () => {
    const { logger, lines } = collectingLogger();
    const child = loggerForEvent(logger, { id: 'E2', type: 'task.assigned', metadata: { correlationId: 'C1', causationId: 'E1' } });
    child.info('first');
    child.warn('second');
    const bound = { eventId: 'E2', eventType: 'task.assigned', correlationId: 'C1', causationId: 'E1' };
    expect(lines).toEqual([expect.objectContaining({ ...bound, msg: 'first' }), expect.objectContaining({ ...bound, msg: 'second' })]);
  });

  it('leaves out ids the event does not have', () => {
    const { logger, lines } = collectingLogger();
    loggerForEvent(logger, { id: 'E1' }).info('x');
    expect(lines[0]).toMatchObject({ eventId: 'E1' });
    expect(lines[0]).not.toHaveProperty('eventType');
    expect(lines[0]).not.toHaveProperty('correlationId');
    expect(lines[0]).not.toHaveProperty('causationId');
  });
});

describe('redactUrl', () => {
  it('hides the password but keeps user, host and path', () => {
    expect(redactUrl('postgres://postgres:s3cret@db.local:5432/agentbus')).toBe('postgres://postgres:***@db.local:5432/agentbus');
  });

  it('leaves a URL without a password unchanged', () => {
    expect(redactUrl('http://127.0.0.1:8081/apis/ccompat/v7')).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
  });

  it('does not echo an unparseable URL', () => {
    expect(redactUrl('not a url :pw@')).toBe('[unparseable url]');
  });
});
