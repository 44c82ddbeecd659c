import { backoffDelay, defaultRetryPolicy, type RetryPolicy } from './backoff';

const policy: RetryPolicy = { maxAttempts: 10, initialDelayMs: 100, maxDelayMs: 1000, multiplier: 2 };
const never = () => 0;
const always = () => 1;

describe('backoffDelay', () => {
  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [4, 800],
    [5, 1000],
    [12, 1000],
  ])('attempt %i has a ceiling of %i ms, growing exponentially and capped by maxDelayMs', (attempt, ceiling) => {
    expect(backoffDelay(policy, attempt, always)).toBe(ceiling);
    expect(backoffDelay(policy, attempt, never)).toBe(ceiling / 2);
  });

  it('spreads delays over [ceiling/2, ceiling]', () => {
    expect(backoffDelay(policy, 3, () => 0.5)).toBe(300);
    for (let i = 0; i < 200; i++) {
      const delay = backoffDelay(policy, 4);
      expect(delay).toBeGreaterThanOrEqual(400);
      expect(delay).toBeLessThanOrEqual(800);
    }
  });

  it('treats attempts below 1 as the first', () => {
    expect(backoffDelay(policy, 0, always)).toBe(100);
  });

  it('uses the multiplier', () => {
    expect(backoffDelay({ ...policy, multiplier: 3 }, 3, always)).toBe(900);
  });

  it('has sensible defaults', () => {
    expect(backoffDelay(defaultRetryPolicy, 1, always)).toBe(200);
    expect(backoffDelay(defaultRetryPolicy, 20, always)).toBe(10_000);
  });
});
