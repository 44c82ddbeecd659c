import { sampleDeadLetter } from '@agentbus/testing';
import { deadLetterMatcher, resolveSourceTopic, sourcesOf } from './deadLetters';

const deadLetter = sampleDeadLetter;

describe('deadLetterMatcher', () => {
  const letters = [
    deadLetter(),
    deadLetter({ offset: '43', code: 'HANDLER_FAILED', subscription: 'billing', sourceTopic: 'agentbus.agent' }),
    deadLetter({ offset: '44', code: 'HANDLER_FAILED', subscription: 'task.any' }),
  ];
  const offsets = (options: Parameters<typeof deadLetterMatcher>[0]) => letters.filter(deadLetterMatcher(options, 'agentbus')).map((d) => d.offset);

  it('matches everything without options', () => expect(offsets({})).toEqual(['42', '43', '44']));
  it('matches by code', () => expect(offsets({ code: 'HANDLER_FAILED' })).toEqual(['43', '44']));
  it('matches by subscription', () => expect(offsets({ subscription: 'task.any' })).toEqual(['42', '44']));
  it('matches by source topic, full or as a category', () => {
    expect(offsets({ sourceTopic: 'agentbus.agent' })).toEqual(['43']);
    expect(offsets({ sourceTopic: 'task' })).toEqual(['42', '44']);
  });
  it('needs every given option to hold', () => expect(offsets({ code: 'HANDLER_FAILED', sourceTopic: 'task' })).toEqual(['44']));
  it('matches only the given dead letters', () => expect(offsets({ refs: ['0:43'] })).toEqual(['43']));
});

describe('resolveSourceTopic', () => {
  it('puts a category under the prefix and leaves topic names alone', () => {
    expect(resolveSourceTopic('staging', 'trust')).toBe('staging.trust');
    expect(resolveSourceTopic('staging', 'other.topic')).toBe('other.topic');
  });
});

describe('sourcesOf', () => {
  it('counts each source record once and skips unknown sources, as republish does', () => {
    const letters = [deadLetter(), deadLetter({ offset: '43', subscription: 'other' }), deadLetter({ offset: '44', sourceOffset: '8' }), deadLetter({ offset: '45', sourceTopic: '(unknown)' })];
    expect(sourcesOf(letters).map((d) => d.offset)).toEqual(['42', '44']);
  });
});

