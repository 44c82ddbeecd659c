export interface RetryPolicy {
  /** Total tries of one event by one handler, the first included. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
  multiplier: number;
}

export const defaultRetryPolicy: RetryPolicy = { maxAttempts: 5, initialDelayMs: 200, maxDelayMs: 10_000, multiplier: 2 };

/**
 * Exponential backoff with "full jitter", so instances that failed together do not retry
 * together. https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export const backoffDelay = (policy: RetryPolicy, attempt: number, random: () => number = Math.random): number => {
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** Math.max(0, attempt - 1));
  return Math.round(ceiling * (0.5 + random() / 2));
};

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
