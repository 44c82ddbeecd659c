import { copyField, copyLine, epochMsToTimestamptz } from './copyRows';

describe('copyField (COPY text format)', () => {
  it('writes NULL as \\N for null, undefined and the numbers JSON turns into null', () => {
    for (const value of [null, undefined, Number.NaN, Number.POSITIVE_INFINITY]) expect(copyField(value, 'double')).toBe('\\N');
    expect(copyField(null, 'jsonb')).toBe('\\N');
  });

  it('escapes backslash, newline, carriage return and tab, and nothing else', () => {
    expect(copyField('a\tb\nc\rd\\e', 'text')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyField('\\N', 'text')).toBe('\\\\N');
    expect(copyField('\\.', 'text')).toBe('\\\\.');
    expect(copyField('quotes " \' , ; {} émoji 🚀 \u0001', 'text')).toBe('quotes " \' , ; {} émoji 🚀 \u0001');
    expect(copyField('', 'text')).toBe('');
  });

  it('writes jsonb as JSON, its own escapes escaped again for COPY', () => {
    expect(copyField({ a: 'x\ty', b: [1, null], c: 'back\\slash "q"' }, 'jsonb')).toBe('{"a":"x\\\\ty","b":[1,null],"c":"back\\\\\\\\slash \\\\"q\\\\""}');
    expect(copyField('plain text', 'jsonb')).toBe('"plain text"');
    expect(copyField(0, 'jsonb')).toBe('0');
    expect(copyField(false, 'jsonb')).toBe('false');
  });

  it('writes text[] as an array literal with every element quoted, NULL elements bare', () => {
    expect(copyField(['x', 'with,comma', 'with"quote', '{brace}', 'NULL', '', null, 'back\\slash', 'tab\there'], 'text[]')).toBe(
      '{"x","with,comma","with\\\\"quote","{brace}","NULL","",NULL,"back\\\\\\\\slash","tab\\there"}',
    );
    expect(copyField([], 'text[]')).toBe('{}');
  });

  it('writes a timestamptz from epoch ms (number or numeric text), a Date, or time text', () => {
    expect(copyField(1_764_550_923_456, 'timestamptz')).toBe('2025-12-01T01:02:03.456Z');
    expect(copyField(1_764_550_923_007, 'timestamptz')).toBe('2025-12-01T01:02:03.007Z');
    expect(copyField(1_764_550_924_050, 'timestamptz')).toBe('2025-12-01T01:02:04.050Z');
    expect(copyField('1764550923456', 'timestamptz')).toBe('2025-12-01T01:02:03.456Z');
    expect(copyField(new Date('2026-11-25T01:02:03.456Z'), 'timestamptz')).toBe('2026-11-25T01:02:03.456Z');
    expect(copyField('2026-11-25 01:02:03+02', 'timestamptz')).toBe('2026-11-25 01:02:03+02');
  });

  it('keeps sub-millisecond epoch values to the microsecond, rounding as to_timestamp does', () => {
    expect(epochMsToTimestamptz(1.5)).toBe('1970-01-01T00:00:00.001500+00');
    expect(epochMsToTimestamptz(0)).toBe('1970-01-01T00:00:00.000Z');
    expect(epochMsToTimestamptz(-1)).toBe('1969-12-31T23:59:59.999Z');
    expect(epochMsToTimestamptz(-1.5)).toBe('1969-12-31T23:59:59.998500+00');
  });

  it('writes booleans as t/f and numbers as JSON writes them', () => {
    expect([copyField(true, 'boolean'), copyField(false, 'boolean')]).toEqual(['t', 'f']);
    expect(copyField(0.1 + 0.2, 'double')).toBe('0.30000000000000004');
    expect(copyField('9007199254740993', 'bigint')).toBe('9007199254740993');
    expect(copyField(12, 'text')).toBe('12');
    expect(copyField({ a: 1 }, 'text')).toBe('{"a":1}');
  });
});

describe('copyLine', () => {
  it('joins fields with tabs in column order, a missing column NULL, and ends the line', () => {
    expect(
      copyLine({ b: 'two\nlines', a: 1 }, [
        ['a', 'integer'],
        ['b', 'text'],
        ['c', 'jsonb'],
      ]),
    ).toBe('1\ttwo\\nlines\t\\N\n');
  });
});
