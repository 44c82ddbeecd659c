import { retry, retryAfter, sleepWithHeartbeat } from './retry';

const policy = { maxAttempts: 5, initialDelayMs: 1, maxDelayMs: 4, multiplier: 2 };
const transient = Object.assign(new Error('registry unreachable'), { retriable: true });
const fatal = Object.assign(new Error('unknown schema'), { retriable: false });
const isRetriable = (error: unknown) => (error as { retriable?: boolean }).retriable === true;

const failing = (failures: unknown[]) => {
  const calls: number[] = [];
  return {
    calls,
    fn: async (attempt: number) => {
      calls.push(attempt);
      const failure = failures.shift();
      if (failure) throw failure;
      return 'done';
    },
  };
};

describe('retry', () => {
  it('tries again after retriable failures until the work succeeds, numbering the attempts', async () => {
    const { fn, calls } = failing([transient, transient]);
    const retried: number[] = [];
    await expect(retry(fn, { policy, isRetriable, onRetry: (_e, attempt) => retried.push(attempt) })).resolves.toBe('done');
    expect(calls).toEqual([1, 2, 3]);
    expect(retried).toEqual([1, 2]);
  });

  it('throws a non-retriable failure at once', async () => {
    const { fn, calls } = failing([fatal, transient]);
    await expect(retry(fn, { policy, isRetriable })).rejects.toBe(fatal);
    expect(calls).toEqual([1]);
  });

  it('gives up with the last failure after maxAttempts', async () => {
    const { fn, calls } = failing([transient, transient, transient, transient]);
    await expect(retry(fn, { policy, isRetriable, maxAttempts: 3 })).rejects.toBe(transient);
    expect(calls).toEqual([1, 2, 3]);
  });

  it('stops waiting when told to, throwing the last failure', async () => {
    const { fn, calls } = failing([transient, transient, transient]);
    let stop = false;
    await expect(retry(fn, { policy, isRetriable, shouldStop: () => stop, onRetry: () => (stop = true) })).rejects.toBe(transient);
    expect(calls).toEqual([1, 2]);
  });

  it('heartbeats while it waits between tries', async () => {
    const { fn } = failing([transient]);
    let beats = 0;
    await retry(fn, { policy: { ...policy, initialDelayMs: 40, maxDelayMs: 40 }, isRetriable, heartbeat: async () => void beats++, heartbeatEveryMs: 5, random: () => 1 });
    expect(beats).toBeGreaterThanOrEqual(1);
  });
});

describe('retryAfter (the first try already failed)', () => {
  // Same scripts as above, with the first failure taken out and handed over: the same tries, numbers and outcome.
  const sameAsRetry = async (failures: unknown[], options: { maxAttempts?: number } = {}) => {
    const viaRetry = failing([...failures]);
    const retriedViaRetry: number[] = [];
    const outcomeViaRetry = await retry(viaRetry.fn, { policy, isRetriable, ...options, onRetry: (_e, a) => retriedViaRetry.push(a) }).catch((e: unknown) => e);
    const [first, ...rest] = failures;
    const viaRetryAfter = failing(rest);
    const retried: number[] = [];
    const outcome = await retryAfter(first, viaRetryAfter.fn, { policy, isRetriable, ...options, onRetry: (_e, a) => retried.push(a) }).catch((e: unknown) => e);
    expect(outcome).toBe(outcomeViaRetry);
    expect([1, ...viaRetryAfter.calls]).toEqual(viaRetry.calls);
    expect(retried).toEqual(retriedViaRetry);
  };

  it('continues at attempt 2 after a retriable failure', () => sameAsRetry([transient, transient]));
  it('throws a non-retriable first failure without trying again', () => sameAsRetry([fatal, transient]));
  it('counts the first try towards maxAttempts', () => sameAsRetry([transient, transient, transient, transient], { maxAttempts: 3 }));
  it('does not try again when maxAttempts is 1', () => sameAsRetry([transient], { maxAttempts: 1 }));
});

describe('sleepWithHeartbeat', () => {
  it('survives a failing heartbeat and still waits the whole time', async () => {
    const started = Date.now();
    let beats = 0;
    await sleepWithHeartbeat(30, async () => {
      beats++;
      throw new Error('not a member');
    }, 10);
    expect(Date.now() - started).toBeGreaterThanOrEqual(29);
    expect(beats).toBeGreaterThanOrEqual(1);
  });
});
