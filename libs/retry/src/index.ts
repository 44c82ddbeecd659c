export { backoffDelay, defaultRetryPolicy, sleep } from './backoff';
export type { RetryPolicy } from './backoff';
export { retry, retryAfter, sleepWithHeartbeat } from './retry';
export type { RetryOptions } from './retry';
