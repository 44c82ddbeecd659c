import { backoffDelay, sleep, type RetryPolicy } from './backoff';

export interface RetryOptions {
  policy: RetryPolicy;
  /** Whether a failure is worth another try; any other is thrown at once. */
  isRetriable: (error: unknown) => boolean;
  /**
   * Tries in all, the first included. Defaults to no limit: an outage of the registry or the
   * database is waited out, because the work itself is fine. A handler's retries pass the policy's.
   */
  maxAttempts?: number;
  /** Before each wait, with the failure and the attempt that failed (for logs and metrics). */
  onRetry?: (error: unknown, attempt: number) => void;
  /** Checked before each wait: when it says stop, the last failure is thrown. */
  shouldStop?: () => boolean;
  /** Called at least every `heartbeatEveryMs` while waiting, so a Kafka consumer keeps its group membership. */
  heartbeat?: () => Promise<void>;
  heartbeatEveryMs?: number;
  random?: () => number;
  /** The number of the first try `fn` is called with (default 1); `retryAfter` starts at 2. */
  firstAttempt?: number;
}

/**
 * Waits `ms`, calling `heartbeat` every `everyMs` meanwhile. A failed heartbeat is not fatal here:
 * kafkajs reports a lost membership through isRunning/isStale, which the caller checks next.
 */
export const sleepWithHeartbeat = async (ms: number, heartbeat: (() => Promise<void>) | undefined, everyMs = 1000): Promise<void> => {
  if (ms <= 0) return;
  if (!heartbeat) return sleep(ms);
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await sleep(Math.min(everyMs, until - Date.now()));
    await heartbeat().catch(() => undefined);
  }
};

/** Runs `fn` until it succeeds, with exponential backoff and jitter between tries; stops at once on a non-retriable failure. */
export const retry = async <T>(fn: (attempt: number) => T | Promise<T>, options: RetryOptions): Promise<T> => {
  const maxAttempts = options.maxAttempts ?? Infinity;
  for (let attempt = options.firstAttempt ?? 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (!options.isRetriable(error) || attempt >= maxAttempts || options.shouldStop?.()) throw error;
      options.onRetry?.(error, attempt);
      await sleepWithHeartbeat(backoffDelay(options.policy, attempt, options.random), options.heartbeat, options.heartbeatEveryMs);
    }
  }
};

/**
 * `retry` for work whose first try was already made, inline, and failed with `error`: decides, waits
 * and tries again exactly as `retry` would have, so a hot path that seldom fails pays for no retry
 * machinery (promise, closures) when it succeeds.
 */
export const retryAfter = async <T>(error: unknown, fn: (attempt: number) => T | Promise<T>, options: RetryOptions): Promise<T> => {
  const maxAttempts = options.maxAttempts ?? Infinity;
  if (!options.isRetriable(error) || maxAttempts <= 1 || options.shouldStop?.()) throw error;
  options.onRetry?.(error, 1);
  await sleepWithHeartbeat(backoffDelay(options.policy, 1, options.random), options.heartbeat, options.heartbeatEveryMs);
  return retry(fn, { ...options, firstAttempt: 2 });
};
