// Rate limits over a private Redis that goes away: each node falls back to
// its own memory (still limiting), never fails a request for it, and never
// leaves an unhandled rejection behind.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type PrivateRedis } from '../../test/cluster/processes.js';
import { createRateLimits, type RateLimits } from './rate-limits.js';

const hasRedis = spawnSync('which', ['redis-server']).status === 0;
const budgets = { authPerIp: 100, authPerAccount: 3, submitPerUser: 100, submitPerIp: 100, socketsPerUser: 100, socketsPerIp: 100, presencePerUser: 100 };

describe.skipIf(!hasRedis)('rate limits when Redis goes away', () => {
  let redis: PrivateRedis;
  let limits: RateLimits;

  beforeAll(async () => {
    redis = await startRedis();
    limits = await createRateLimits(budgets, redis.url, 'rl-test:', () => {});
  });
  afterAll(async () => {
    await limits?.close();
    await redis?.stop();
  });

  it('keeps limiting from memory while Redis is down', async () => {
    await limits.consume(['authPerAccount', 'a@example.com']);
    await redis.stop();
    await limits.consume(['authPerAccount', 'b@example.com']);
    await limits.consume(['authPerAccount', 'b@example.com']);
    await limits.consume(['authPerAccount', 'b@example.com']);
    await expect(limits.consume(['authPerAccount', 'b@example.com'])).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'authPerAccount' } });
  });
});
