// Rate limits shared through Redis (a private redis-server): the same
// behaviour as in memory; and when Redis goes away each node falls back to
// its own memory (still limiting), never fails a request for it, and never
// leaves an unhandled rejection behind.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type PrivateRedis } from '../../test/cluster/processes.ts';
import { connectRedis, type RedisConnections } from '../pubsub/redis-connections.ts';
import { createRateLimits, type RateLimits } from './rate-limits.ts';
import { rateLimitsSuite, TEST_BUDGETS } from '../../test/support/rate-limits.suite.ts';
import { redisTarget } from '../../test/harness.ts';

const hasRedis = spawnSync('which', ['redis-server']).status === 0;

describe.skipIf(!hasRedis)('rate limits over Redis', () => {
  let redis: PrivateRedis;
  let connections: RedisConnections;
  let limits: RateLimits;

  beforeAll(async () => {
    redis = await startRedis();
    connections = await connectRedis(redis.url);
    limits = createRateLimits(TEST_BUDGETS, connections.commands, 'rl-test:');
  });
  afterAll(async () => {
    await connections?.close();
    await redis?.stop();
  });

  rateLimitsSuite(() => limits);

  it('keeps limiting from memory while Redis is down', async () => {
    await limits.consume(['authPerAccount', 'a@example.com']);
    await redis.stop();
    await limits.consume(['authPerAccount', 'b@example.com']);
    await limits.consume(['authPerAccount', 'b@example.com']);
    await limits.consume(['authPerAccount', 'b@example.com']);
    await expect(limits.consume(['authPerAccount', 'b@example.com'])).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'authPerAccount' } });
    for (let i = 0; i < 8; i++) await limits.consume(['submitPerUser', 'down']);
    await expect(limits.consume(['submitPerUser', 'down'])).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { limit: 'submitPerUser' } });
  });
});

// The same behaviour on a Redis Cluster (keys spread over slots by their subject's hash tag).
const clusterNodes = process.env.REDIS_CLUSTER_NODES;
describe.skipIf(!clusterNodes)('rate limits over a Redis Cluster', () => {
  let connections: RedisConnections;
  let limits: RateLimits;

  beforeAll(async () => {
    connections = await connectRedis(redisTarget('cluster'));
    limits = createRateLimits(TEST_BUDGETS, connections.commands, `rl-test-${randomBytes(4).toString('hex')}:`);
  });
  afterAll(async () => {
    await connections?.close();
  });

  rateLimitsSuite(() => limits);
});
