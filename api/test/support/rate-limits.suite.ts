// How a budget behaves, the same in memory and over Redis: rate budgets
// shape (a refused client waits for the next second, then goes on), minute
// budgets count, refund gives a point back, reset starts a key afresh.
// Waits are the limiter's own retryAfterMs, never a guess.
import { setTimeout as wait } from 'node:timers/promises';
import { expect, it } from 'vitest';
import type { RateLimitConfig } from '../../src/config.ts';
import type { AppError } from '../../src/errors.ts';
import { RETRY_MARGIN_MS, type LimitName, type RateLimits } from '../../src/limits/rate-limits.ts';

/** Small budgets so that tests reach them quickly. */
export const TEST_BUDGETS: RateLimitConfig = {
  authPerIp: 100,
  authPerAccount: 3,
  authFailuresPerAccountIp: 2,
  submitPerUser: { perSecond: 5, burst: 3 },
  submitPerIp: { perSecond: 100, burst: 0 },
  submitPerToken: { perSecond: 3, burst: 0 },
  createPerUser: { perSecond: 2, burst: 0 },
  sharePerUser: { perSecond: 2, burst: 2 },
  socketsPerUser: 100,
  socketsPerIp: 100,
  presencePerUser: { perSecond: 100, burst: 0 },
  commentPerUser: { perSecond: 100, burst: 0 },
};

let keys = 0;
const freshKey = () => `key-${process.pid}-${++keys}-${Math.random().toString(36).slice(2)}`;

/** The RATE_LIMITED error of a refused consume (fails the test if it passed). */
async function refusal(limits: RateLimits, name: LimitName, key: string): Promise<{ limit: string; retryAfterMs: number }> {
  const error = (await limits.consume([name, key]).then(
    () => null,
    (e: unknown) => e,
  )) as AppError | null;
  expect(error?.code).toBe('RATE_LIMITED');
  return error!.details as { limit: string; retryAfterMs: number };
}

export function rateLimitsSuite(limits: () => RateLimits): void {
  it('lets a burst of rate + reserve through, refuses the next with a retry under a second, and accepts it after that wait', async () => {
    const key = freshKey();
    // 5 in this second, then the reserve of 3.
    for (let i = 0; i < 8; i++) await limits().consume(['submitPerUser', key]);
    const refused = await refusal(limits(), 'submitPerUser', key);
    expect(refused.limit).toBe('submitPerUser');
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000 + RETRY_MARGIN_MS);
    await wait(refused.retryAfterMs);
    // A new second: its 5 points are there again (the reserve is not).
    for (let i = 0; i < 5; i++) await limits().consume(['submitPerUser', key]);
    expect((await refusal(limits(), 'submitPerUser', key)).retryAfterMs).toBeLessThanOrEqual(1_000 + RETRY_MARGIN_MS);
  });

  it("shapes a client that keeps sending: each refusal costs it only the rest of the second, then it goes on", async () => {
    const key = freshKey();
    // Three seconds of a client at the sustained rate without a reserve: 2 a second.
    for (let second = 0; second < 3; second++) {
      await limits().consume(['createPerUser', key]);
      await limits().consume(['createPerUser', key]);
      const refused = await refusal(limits(), 'createPerUser', key);
      expect(refused.retryAfterMs).toBeLessThanOrEqual(1_000 + RETRY_MARGIN_MS);
      await wait(refused.retryAfterMs);
    }
  });

  it('counts a minute budget per key, and refund and reset give points back', async () => {
    const [a, b] = [freshKey(), freshKey()];
    await limits().consume(['authFailuresPerAccountIp', a]);
    await limits().consume(['authFailuresPerAccountIp', a]);
    const refused = await refusal(limits(), 'authFailuresPerAccountIp', a);
    expect(refused.retryAfterMs).toBeGreaterThan(1_000); // a minute window: this one punishes on purpose
    await limits().consume(['authFailuresPerAccountIp', b]); // another key has its own budget
    await limits().reset(['authFailuresPerAccountIp', a]);
    await limits().consume(['authFailuresPerAccountIp', a]);
    await limits().refund(['authFailuresPerAccountIp', a]);
    await limits().consume(['authFailuresPerAccountIp', a]);
    await limits().consume(['authFailuresPerAccountIp', a]);
    await refusal(limits(), 'authFailuresPerAccountIp', a);
  });
}
