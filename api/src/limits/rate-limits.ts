// Rate limits (rate-limiter-flexible): fixed one-minute windows per user,
// per account and per client address. Shared by all nodes through Redis in
// scaled mode; in memory otherwise. While Redis is away each node falls
// back to its own in-memory counters (the insurance limiter), so a Redis
// outage loosens the limits by the number of nodes instead of failing
// every request.
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateLimitConfig } from '../config.js';
import { AppError } from '../errors.js';

export type LimitName = keyof RateLimitConfig;

/** One check: which budget, and whose (a user id, an email, an address). */
export type LimitCheck = readonly [LimitName, string];

export interface RateLimits {
  /**
   * Takes one point from each budget, in order; throws RATE_LIMITED with
   * `retryAfterMs` (and `limit`, the budget's name) at the first one spent.
   */
  consume(...checks: LimitCheck[]): Promise<void>;
  close(): Promise<void>;
}

const WINDOW_SECONDS = 60;

export const rateLimited = (limit: LimitName, retryAfterMs: number) =>
  new AppError('RATE_LIMITED', `Too many requests; retry in ${Math.ceil(retryAfterMs / 1000)} s`, { limit, retryAfterMs });

export async function createRateLimits(
  config: RateLimitConfig | null,
  redisUrl: string | undefined,
  prefix: string,
  onError: (error: unknown) => void,
): Promise<RateLimits> {
  if (!config) return { consume: async () => {}, close: async () => {} };

  let redis: Redis | null = null;
  if (redisUrl) {
    // No offline queue: while Redis is away a call fails at once and the
    // insurance limiter answers, instead of waiting for a reconnect.
    redis = new Redis(redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(100 * 2 ** n, 2_000) });
    redis.on('error', onError);
    await redis.connect();
  }
  const limiters = new Map<LimitName, RateLimiterAbstract>();
  for (const name of Object.keys(config) as LimitName[]) {
    const options = { points: config[name], duration: WINDOW_SECONDS, keyPrefix: `${prefix}rl:${String(name)}` };
    const memory = new RateLimiterMemory(options);
    limiters.set(name, redis ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: memory }) : memory);
  }

  return {
    async consume(...checks) {
      for (const [name, key] of checks) {
        try {
          await limiters.get(name)!.consume(key);
        } catch (result) {
          if (result instanceof RateLimiterRes) throw rateLimited(name, Math.max(1, result.msBeforeNext));
          throw result;
        }
      }
    },
    async close() {
      redis?.disconnect();
    },
  };
}
