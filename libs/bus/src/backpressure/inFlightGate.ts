export type GateSignal = 'pause' | 'resume' | undefined;

/**
 * Counts events fetched but not yet handled. Crossing `maxInFlight` asks to pause fetching;
 * draining to `resumeAt` asks to resume. Pure: the caller pauses, resumes and reports.
 */
export class InFlightGate {
  private count = 0;
  private pausedAt: number | undefined;

  constructor(
    readonly maxInFlight: number,
    readonly resumeAt: number = Math.floor(maxInFlight / 2),
  ) {
    if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError(`maxInFlight must be a positive integer, got ${maxInFlight}`);
    if (!Number.isInteger(resumeAt) || resumeAt < 0 || resumeAt >= maxInFlight) throw new RangeError(`resumeAt must be a whole number below maxInFlight (${maxInFlight}), got ${resumeAt}`);
  }

  get size(): number {
    return this.count;
  }

  get paused(): boolean {
    return this.pausedAt !== undefined;
  }

  admit(n: number, now: number): GateSignal {
    this.count += n;
    if (this.pausedAt === undefined && this.count >= this.maxInFlight) {
      this.pausedAt = now;
      return 'pause';
    }
    return undefined;
  }

  release(n: number, now: number): { signal: GateSignal; pausedMs?: number } {
    this.count = Math.max(0, this.count - n);
    if (this.pausedAt !== undefined && this.count <= this.resumeAt) {
      const pausedMs = now - this.pausedAt;
      this.pausedAt = undefined;
      return { signal: 'resume', pausedMs };
    }
    return { signal: undefined };
  }
}
