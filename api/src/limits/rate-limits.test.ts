import { describe } from 'vitest';
import { createRateLimits } from './rate-limits.js';
import { rateLimitsSuite, TEST_BUDGETS } from '../../test/support/rate-limits.suite.js';

describe('rate limits in memory', () => {
  const limits = createRateLimits(TEST_BUDGETS, undefined, 'rl-memory:');
  rateLimitsSuite(() => limits);
});
