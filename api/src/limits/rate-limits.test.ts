import { afterAll, beforeAll, describe } from 'vitest';
import { createRateLimits, type RateLimits } from './rate-limits.js';
import { rateLimitsSuite, TEST_BUDGETS } from '../../test/support/rate-limits.suite.js';

describe('rate limits in memory', () => {
  let limits: RateLimits;
  beforeAll(async () => {
    limits = await createRateLimits(TEST_BUDGETS, undefined, 'rl-memory:', () => {});
  });
  afterAll(async () => {
    await limits?.close();
  });
  rateLimitsSuite(() => limits);
});
