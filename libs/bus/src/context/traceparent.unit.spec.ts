import { childTraceparent, newTraceparent, traceIdOf } from './traceparent';

const shape = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;
const spanOf = (traceparent: string) => traceparent.split('-')[2];

describe('traceparent', () => {
  it('newTraceparent starts a fresh, well-formed trace each time', () => {
    const a = newTraceparent();
    const b = newTraceparent();
    expect(a).toMatch(shape);
    expect(traceIdOf(a)).not.toBe(traceIdOf(b));
  });

  it('childTraceparent keeps the trace id and flags and picks a new span id', () => {
    const parent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00';
    const child = childTraceparent(parent);
    expect(child).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-00$/);
    expect(spanOf(child)).not.toBe('00f067aa0ba902b7');
  });

  it.each([undefined, '', 'garbage', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'])(
    'starts a new trace when the parent is %p',
    (parent) => {
      const child = childTraceparent(parent);
      expect(child).toMatch(shape);
      expect(traceIdOf(child)).not.toBe('00000000000000000000000000000000');
    },
  );

  it('traceIdOf reads the trace id, or undefined for a malformed header', () => {
    expect(traceIdOf('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(traceIdOf('nope')).toBeUndefined();
  });
});
