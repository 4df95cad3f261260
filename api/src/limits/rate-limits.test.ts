import { describe } from 'vitest';
import { createRateLimits } from './rate-limits.ts';
import { rateLimitsSuite, TEST_BUDGETS } from '../../test/support/rate-limits.suite.ts';

describe('rate limits in memory', () => {
  const limits = createRateLimits(TEST_BUDGETS, undefined, 'rl-memory:');
  rateLimitsSuite(() => limits);
});
