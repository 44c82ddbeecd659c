import { InFlightGate } from './inFlightGate';

describe('InFlightGate', () => {
  it('asks to pause once when admissions reach maxInFlight, not again while paused', () => {
    const gate = new InFlightGate(10);
    expect(gate.admit(9, 1000)).toBeUndefined();
    expect(gate.paused).toBe(false);
    expect(gate.admit(1, 1000)).toBe('pause');
    expect(gate.paused).toBe(true);
    expect(gate.admit(5, 1001)).toBeUndefined();
    expect(gate.size).toBe(15);
  });

  it('asks to resume once drained to resumeAt (default floor(max/2)), reporting how long it was paused', () => {
    const gate = new InFlightGate(11);
    expect(gate.resumeAt).toBe(5);
    gate.admit(11, 1000);
    expect(gate.release(5, 1200)).toEqual({ signal: undefined });
    expect(gate.paused).toBe(true);
    expect(gate.release(1, 1250)).toEqual({ signal: 'resume', pausedMs: 250 });
    expect(gate.paused).toBe(false);
    expect(gate.release(1, 1300)).toEqual({ signal: undefined });
  });

  it('honours an explicit resumeAt', () => {
    const gate = new InFlightGate(10, 8);
    gate.admit(10, 0);
    expect(gate.release(2, 40).signal).toBe('resume');
  });

  it('pauses again after resuming', () => {
    const gate = new InFlightGate(2);
    expect(gate.admit(2, 0)).toBe('pause');
    expect(gate.release(1, 10).signal).toBe('resume');
    expect(gate.admit(1, 20)).toBe('pause');
    expect(gate.release(2, 35)).toEqual({ signal: 'resume', pausedMs: 15 });
  });

  it('never counts below zero', () => {
    const gate = new InFlightGate(4);
    gate.admit(1, 0);
    gate.release(3, 0);
    expect(gate.size).toBe(0);
    gate.admit(3, 0);
    expect(gate.size).toBe(3);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses maxInFlight %p', (max) => {
    expect(() => new InFlightGate(max)).toThrow(RangeError);
  });
});
