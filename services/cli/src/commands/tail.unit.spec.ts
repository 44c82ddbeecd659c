import { loadSchemaCatalog } from '@agentbus/codec';
import type { AgentEvent } from '@agentbus/events';
import { CliError } from '../cliSupport';
import { formatEventLine, formatUndecodableLine, parseFrom, tailQuery } from './tail';

const catalog = loadSchemaCatalog();

const taskCreated = (priority: string, routingKey = 'task.created'): AgentEvent =>
  ({
    id: '01JD0000000000000000000000',
    type: 'task.created',
    source: 'did:agent:planner',
    timestamp: Date.parse('2026-11-24T10:00:00.000Z'),
    routingKey,
    payload: { taskId: 't-1', description: 'Reconcile the Q3 ledger', priority, domain: 'financial', requiredCapability: null, input: null },
    metadata: { correlationId: 'c-1', version: '1' },
  }) as AgentEvent;

const thrown = (fn: () => unknown): Error & { code?: string; exitCode?: number } => {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
};

describe('parseFrom', () => {
  it.each(['earliest', 'latest'] as const)('takes %s', (value) => {
    expect(parseFrom(value)).toEqual({ kind: value });
  });

  it.each([
    ['2026-11-24T10:00:00Z', Date.UTC(2026, 10, 24, 10)],
    ['2026-11-24T10:00:00.250Z', Date.UTC(2026, 10, 24, 10, 0, 0, 250)],
    ['2026-11-24T12:00:00+02:00', Date.UTC(2026, 10, 24, 10)],
    ['2026-11-24', Date.UTC(2026, 10, 24)],
  ])('takes the ISO time %s', (value, at) => {
    expect(parseFrom(value)).toEqual({ kind: 'time', at });
  });

  it.each(['bad', 'yesterday', '1700000000000', '2026-13-45T10:00:00Z', 'Nov 24 2026', ''])('refuses %j as a usage error naming --from', (value) => {
    const error = thrown(() => parseFrom(value));
    expect(error).toBeInstanceOf(CliError);
    expect(error.exitCode).toBe(2);
    expect(error.message).toContain('--from');
    expect(error.message).toContain(JSON.stringify(value));
  });
});

describe('tailQuery', () => {
  it('reads only the topics the pattern can match', () => {
    expect(tailQuery('task.*', undefined, catalog).categories).toEqual(['task']);
    expect(tailQuery('#', undefined, catalog).categories.sort()).toEqual(['agent', 'data', 'decision', 'saga', 'system', 'task', 'trust']);
  });

  it('matches the routing key and the filter, enum order included', () => {
    const query = tailQuery('task.*', '{"payload.priority":{"$gte":"high"}}', catalog);
    expect(['low', 'normal', 'high', 'critical'].filter((p) => query.matches(taskCreated(p)))).toEqual(['high', 'critical']);
    expect(query.matches(taskCreated('critical', 'task.created.extra'))).toBe(false);
  });

  it('rules a record out by its routing-key header before decoding, and keeps records without one', () => {
    const query = tailQuery('task.created', undefined, catalog);
    expect(query.mayMatch('task.failed')).toBe(false);
    expect(query.mayMatch('task.created')).toBe(true);
    expect(query.mayMatch(undefined)).toBe(true);
  });

  it('refuses a malformed pattern with the bus error', () => {
    const error = thrown(() => tailQuery('ta*sk', undefined, catalog));
    expect(error.code).toBe('INVALID_ROUTING_PATTERN');
    expect(error.message).toContain('"ta*sk" mixes a wildcard with text');
  });

  it('refuses a pattern no routing key can start with', () => {
    expect(thrown(() => tailQuery('nothing.here', undefined, catalog)).message).toContain('no event\'s routing key can start with "nothing"');
  });

  it('refuses an unknown operator, naming it', () => {
    const error = thrown(() => tailQuery('task.*', '{"payload.priority":{"$foo":"high"}}', catalog));
    expect(error.code).toBe('INVALID_CONTENT_FILTER');
    expect(error.message).toContain('unknown operator $foo');
  });

  it('refuses an enum value that is not a symbol', () => {
    expect(thrown(() => tailQuery('task.*', '{"payload.priority":{"$gte":"urgent"}}', catalog)).message).toContain('"urgent" is not one of the enum\'s symbols');
  });

  it('refuses a filter that is not JSON as a usage error naming --filter', () => {
    const error = thrown(() => tailQuery('task.*', '{payload', catalog));
    expect(error.exitCode).toBe(2);
    expect(error.message).toMatch(/^--filter: not valid JSON/);
  });
});

describe('formatEventLine', () => {
  it('prints time, type, routing key, source, key, then the non-null fields', () => {
    expect(formatEventLine(taskCreated('high', 'task.created.urgent'), 't-1')).toBe(
      '2026-11-24T10:00:00.000Z task.created task.created.urgent did:agent:planner t-1 taskId=t-1 description="Reconcile the Q3 ledger" priority=high domain=financial',
    );
  });

  it('flattens nested records, keeps arrays as JSON and cuts long values', () => {
    const event = { ...taskCreated('low'), type: 'task.completed', payload: { taskId: 't-1', result: { status: 'success', tags: ['a', 'b'] }, note: 'x'.repeat(200) } } as unknown as AgentEvent;
    const line = formatEventLine(event, null);
    expect(line).toContain(' - taskId=t-1 result.status=success result.tags="[\\"a\\",\\"b\\"]" note="xxx');
    expect(line).toMatch(/x…"$/);
  });
});

describe('formatUndecodableLine', () => {
  it('says where the record is and why it could not be decoded', () => {
    expect(formatUndecodableLine({ topic: 'agentbus.task', partition: 2, offset: '7', key: 'junk', timestamp: Date.UTC(2026, 10, 24, 10) }, 'EVENT_UNDECODABLE: wrong magic byte')).toBe(
      '2026-11-24T10:00:00.000Z (undecodable) agentbus.task partition 2 offset 7 key junk: EVENT_UNDECODABLE: wrong magic byte',
    );
  });
});
