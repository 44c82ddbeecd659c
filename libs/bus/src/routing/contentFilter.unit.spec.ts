import { loadSchemaCatalog } from '@agentbus/codec';
import { AgentbusError } from '@agentbus/events';
import { compileFilter, type ContentFilter } from './contentFilter';
import { enumPathsOf } from './enumPaths';
import { thrownBy } from '@agentbus/testing';

const enums = enumPathsOf(loadSchemaCatalog().schemas);
const compile = (filter: ContentFilter) => compileFilter(filter, enums);

const task = (payload: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'task.created',
  routingKey: 'task.created',
  source: 'did:agent:planner',
  timestamp: 1_700_000_000_000,
  payload: { taskId: 't1', description: 'Reconcile the Q3 ledger', priority: 'normal', domain: 'financial', ...payload },
  metadata: { correlationId: 'c1', version: '1' },
  ...extra,
});

const thrown = (fn: () => unknown): AgentbusError => thrownBy(fn, AgentbusError);

describe('enumPathsOf', () => {
  it('finds the task priority enum with its symbols in order', () => {
    expect(enums.get('payload.priority')).toEqual(['low', 'normal', 'high', 'critical']);
  });

  it('finds enums nested in records', () => {
    expect(enums.get('payload.result.status')).toEqual(['success', 'partial']);
  });
});

describe('compileFilter', () => {
  const priorities = ['low', 'normal', 'high', 'critical'];
  const matching = (filter: ContentFilter) => {
    const matches = compile(filter);
    return priorities.filter((priority) => matches(task({ priority })));
  };

  it('matches everything without a filter', () => {
    expect(compileFilter(undefined, enums)({})).toBe(true);
  });

  it("orders enum symbols by position (the seed's high-priority financial filter)", () => {
    const matches = compile({ 'payload.priority': { $gte: 'high' }, 'payload.domain': 'financial' });
    expect(matches(task({ priority: 'high' }))).toBe(true);
    expect(matches(task({ priority: 'critical' }))).toBe(true);
    expect(matches(task({ priority: 'normal' }))).toBe(false);
    expect(matches(task({ priority: 'high', domain: 'legal' }))).toBe(false);
  });

  it.each<[ContentFilter, string[]]>([
    [{ 'payload.priority': { $lt: 'normal' } }, ['low']],
    [{ 'payload.priority': { $gt: 'low', $lte: 'high' } }, ['normal', 'high']],
    [{ 'payload.priority': { $gte: 'normal', $ne: 'high' } }, ['normal', 'critical']],
    [{ 'payload.priority': { $not: { $gte: 'high' } } }, ['low', 'normal']],
    [{ 'payload.priority': 'high' }, ['high']],
    [{ 'payload.priority': { $in: ['low', 'critical'] } }, ['low', 'critical']],
  ])('%j matches %j', (filter, expected) => {
    expect(matching(filter)).toEqual(expected);
  });

  it.each<[string, ContentFilter, boolean, boolean]>([
    ['$eq', { source: { $eq: 'did:agent:planner' } }, true, false],
    ['$ne', { source: { $ne: 'did:agent:planner' } }, false, true],
    ['$gt on a number', { timestamp: { $gt: 1_700_000_000_000 } }, false, true],
    ['$lte on a number', { timestamp: { $lte: 1_700_000_000_000 } }, true, false],
    ['$in', { source: { $in: ['did:agent:planner', 'did:agent:x'] } }, true, false],
    ['$nin', { source: { $nin: ['did:agent:planner'] } }, false, true],
    ['$exists true', { 'payload.requiredCapability': { $exists: true } }, false, true],
    ['$exists false', { 'payload.requiredCapability': { $exists: false } }, true, false],
    ['$regex', { 'payload.description': { $regex: '^Reconcile' } }, true, false],
    ['$regex with $options i', { 'payload.description': { $regex: 'q3 LEDGER', $options: 'i' } }, true, false],
    ['$not', { 'payload.description': { $not: { $regex: 'ledger' } } }, false, true],
    ['$and', { $and: [{ source: 'did:agent:planner' }, { 'payload.domain': 'financial' }] }, true, false],
    ['$or', { $or: [{ source: 'nobody' }, { 'payload.domain': 'financial' }] }, true, false],
  ])('%s', (_name, filter, matchesFirst, matchesSecond) => {
    const matches = compile(filter);
    const first = task({});
    const second = task({ description: 'Review a contract', domain: 'legal', requiredCapability: 'law' }, { source: 'did:agent:other', timestamp: 1_700_000_000_001 });
    expect([matches(first), matches(second)]).toEqual([matchesFirst, matchesSecond]);
  });

  it.each<[string, unknown, string]>([
    ['an unknown operator', { 'payload.description': { $foo: 1 } }, 'at payload.description.$foo: unknown operator $foo'],
    ['ordering with a value that is not a symbol', { 'payload.priority': { $gte: 'urgent' } }, 'at payload.priority.$gte: "urgent" is not one of the enum\'s symbols low < normal < high < critical'],
    ['equality with a value that is not a symbol', { 'payload.priority': 'urgent' }, 'at payload.priority: "urgent" is not one of'],
    ['$in with a value that is not a symbol', { 'payload.priority': { $in: ['high', 'urgent'] } }, 'at payload.priority.$in: "urgent"'],
    ['$in with a non-array', { source: { $in: 'x' } }, 'at source.$in: $in takes an array'],
    ['$nin with a non-array', { source: { $nin: 'x' } }, 'at source.$nin: $nin takes an array'],
    ['$exists with a non-boolean', { source: { $exists: 1 } }, 'at source.$exists: $exists takes true or false'],
    ['an invalid regex', { source: { $regex: '(' } }, 'at source.$regex:'],
    ['an invalid regex flag', { source: { $regex: 'x', $options: 'q' } }, 'at source.$regex:'],
    ['a top-level $gte', { $gte: 'high' }, 'at $gte: operator $gte is not allowed at the top'],
    ['an empty $or', { $or: [] }, 'at $or: $or takes a non-empty array of clauses'],
    ['an empty word in a field path', { 'payload..priority': 'high' }, 'field paths are dotted, non-empty words'],
    ['a bad clause inside $and', { $and: [{ source: { $foo: 1 } }] }, 'unknown operator $foo'],
    ['a filter that is not an object', ['source'], 'a filter is an object'],
  ])('refuses %s', (_name, filter, message) => {
    const error = thrown(() => compile(filter as ContentFilter));
    expect(error.code).toBe('INVALID_CONTENT_FILTER');
    expect(error.message).toContain(message);
  });

  it('refuses ordering on a path whose enum symbols differ between event types', () => {
    const error = thrown(() => compileFilter({ 'payload.level': { $gte: 'b' } }, new Map([['payload.level', 'conflict' as const]])));
    expect(error.code).toBe('INVALID_CONTENT_FILTER');
    expect(error.message).toContain('ambiguous');
  });
});
