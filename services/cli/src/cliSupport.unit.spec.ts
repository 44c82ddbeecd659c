import { InvalidFilterError, InvalidPatternError } from '@agentbus/bus';
import { AgentbusError } from '@agentbus/events';
import { CliError, errorText, exitCodeFor, formatTable, hexDump, hexPreview, notFoundError, parsePositiveInt, truncate, usageError } from './cliSupport';

describe('exitCodeFor', () => {
  it.each<[string, unknown, number]>([
    ['a usage error', usageError('bad'), 2],
    ['a bad routing pattern', new InvalidPatternError('ta*sk', 'mixes'), 2],
    ['a bad content filter', new InvalidFilterError('payload.x.$foo', 'unknown operator'), 2],
    ['something not found', notFoundError('gone'), 3],
    ['any other agentbus error', new AgentbusError('BROKER_UNAVAILABLE', 'down'), 1],
    ['anything else', new Error('boom'), 1],
  ])('%s exits %d', (_name, error, code) => {
    expect(exitCodeFor(error)).toBe(code);
  });
});

describe('errorText', () => {
  it('leads with the code of an agentbus error', () => {
    expect(errorText(new AgentbusError('EVENT_UNDECODABLE', 'wrong magic byte'))).toBe('EVENT_UNDECODABLE: wrong magic byte');
    expect(errorText(new Error('boom'))).toBe('boom');
    expect(errorText('text')).toBe('text');
  });
});

describe('parsePositiveInt', () => {
  it('reads a positive integer', () => expect(parsePositiveInt('--limit', '12')).toBe(12));

  it.each(['0', '-1', '1.5', 'ten', '', '1e3', '99999999999999999999'])('refuses %j, naming the argument', (value) => {
    const error = (() => {
      try {
        parsePositiveInt('--limit', value);
      } catch (e) {
        return e as CliError;
      }
      throw new Error('expected an error');
    })();
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe(`--limit: expected a positive integer, got ${JSON.stringify(value)}`);
  });
});

describe('formatTable', () => {
  it('pads every column but the last', () => {
    expect(formatTable(['A', 'LONG HEADER', 'C'], [['xx', 'y', 'free text'], ['x', 'yyyyyyyyyyyyy', '']])).toEqual([
      'A   LONG HEADER    C',
      'xx  y              free text',
      'x   yyyyyyyyyyyyy',
    ]);
  });
});

describe('previews', () => {
  it('shows the first bytes as hex, saying how many were left out', () => {
    expect(hexPreview(Buffer.from([0, 1, 0xff]))).toBe('00 01 ff');
    expect(hexPreview(Buffer.alloc(10), 4)).toBe('00 00 00 00 … (+6 bytes)');
  });

  it('dumps rows of 16 bytes with their offset and printable text', () => {
    const bytes = Buffer.concat([Buffer.from('ABCDEFGHIJKLMNOP'), Buffer.from([0x00, 0x7a, 0x0a]), Buffer.alloc(30)]);
    expect(hexDump(bytes, 32)).toEqual([
      '0000  41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50  ABCDEFGHIJKLMNOP',
      '0010  00 7a 0a 00 00 00 00 00 00 00 00 00 00 00 00 00  .z..............',
      '… 17 more bytes',
    ]);
    expect(hexDump(Buffer.from('hi'))).toEqual([`0000  ${'68 69'.padEnd(47)}  hi`]);
    expect(hexDump(Buffer.alloc(0))).toEqual([]);
  });

  it('truncates text with an ellipsis', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });
});
