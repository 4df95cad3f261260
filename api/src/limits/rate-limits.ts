// Rate limits (rate-limiter-flexible), per user, per account and per client
// address. Shared by all nodes through Redis in scaled mode; in memory
// otherwise. While Redis is away each node falls back to its own in-memory
// counters (the insurance limiter), so a Redis outage loosens the limits by
// the number of nodes instead of failing every request.
//
// Two kinds of budget:
// - a plain number: that many points per minute (fixed windows). For what
//   should be slow when abused: sign-ups, log-in failures, new sockets.
// - a RateBudget: `perSecond` points in each one-second window, plus a
//   reserve of `burst` points renewed every minute for moments above the
//   rate (rate-limiter-flexible's BurstyRateLimiter). This shapes instead
//   of punishing: a client over the rate waits for the next second (its
//   retryAfterMs is under 1000), not for the rest of a minute. For the
//   steady traffic of honest clients: submissions, new documents, shares.
import type { Cluster, Redis } from 'ioredis';
import { BurstyRateLimiter, RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RateBudget, RateLimitConfig } from '../config.ts';
import { AppError } from '../errors.ts';

export type LimitName = keyof RateLimitConfig;

/** One check: which budget, and whose (a user id, an email, an address). */
export type LimitCheck = readonly [LimitName, string];

export interface RateLimits {
  /**
   * Takes one point from each budget, in order; throws RATE_LIMITED with
   * `retryAfterMs` (and `limit`, the budget's name) at the first one spent.
   */
  consume(...checks: LimitCheck[]): Promise<void>;
  /** Gives back the point `consume` took from each (e.g. a log-in that succeeded is no failure). */
  refund(...checks: LimitCheck[]): Promise<void>;
  /** Gives each key its whole budget back. */
  reset(...checks: LimitCheck[]): Promise<void>;
}

const MINUTE = 60;

export const rateLimited = (limit: LimitName, retryAfterMs: number) =>
  new AppError('RATE_LIMITED', `Too many requests; retry in ${Math.ceil(retryAfterMs / 1000)} s`, { limit, retryAfterMs });

/** Added to every retryAfterMs (see consume): clock and timer rounding, in ms. */
export const RETRY_MARGIN_MS = 5;

/** What one budget needs: take a point, give one back, forget a key. */
interface Limiter {
  consume(key: string): Promise<unknown>;
  refund(key: string): Promise<unknown>;
  reset(key: string): Promise<unknown>;
}

/**
 * A budget's Redis key for `key`: `<prefix>rl:<budget>[:burst]:{<key>}`. The
 * {…} hash tag makes the subject (user, address, email) pick the Redis
 * Cluster slot: a subject's second and minute counters live in one slot, and
 * subjects spread over the cluster (without the tag, the whole key would).
 * Every command touches one key, so the tag is about placement, not
 * correctness. A subject with braces of its own still maps to one slot.
 */
const tagged = (key: string) => `{${key}}`;

/**
 * `redis` is the node's command connection (pubsub/redis-connections.ts:
 * one Redis or a cluster), borrowed: it has no offline queue, so while Redis
 * is away a call fails at once and the insurance limiter answers, instead
 * of waiting for a reconnect.
 */
export function createRateLimits(config: RateLimitConfig | null, redis: Redis | Cluster | undefined, prefix: string): RateLimits {
  if (!config) return { consume: async () => {}, refund: async () => {}, reset: async () => {} };

  const store = (points: number, duration: number, keyPrefix: string): RateLimiterAbstract => {
    const options = { points, duration, keyPrefix };
    const memory = new RateLimiterMemory(options);
    return redis ? new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: memory }) : memory;
  };

  const limiters = new Map<LimitName, Limiter>();
  for (const name of Object.keys(config) as LimitName[]) {
    const budget: number | RateBudget = config[name];
    const keyPrefix = `${prefix}rl:${String(name)}`;
    if (typeof budget === 'number') {
      const one = store(budget, MINUTE, keyPrefix);
      limiters.set(name, { consume: (key) => one.consume(key), refund: (key) => one.reward(key), reset: (key) => one.delete(key) });
      continue;
    }
    const rate = store(budget.perSecond, 1, keyPrefix);
    if (budget.burst === 0) {
      limiters.set(name, { consume: (key) => rate.consume(key), refund: (key) => rate.reward(key), reset: (key) => rate.delete(key) });
      continue;
    }
    const reserve = store(budget.burst, MINUTE, `${keyPrefix}:burst`);
    // The reserve is only drawn on once the second's points are spent; a
    // refusal's msBeforeNext is then the nearer of the two renewals: the
    // next second.
    const bursty = new BurstyRateLimiter(rate, reserve);
    limiters.set(name, {
      consume: (key) => bursty.consume(key),
      refund: (key) => rate.reward(key),
      reset: (key) => Promise.all([rate.delete(key), reserve.delete(key)]),
    });
  }
  const limiter = (name: LimitName) => {
    const found = limiters.get(name);
    if (!found) throw new Error(`no rate limit named ${String(name)}`);
    return found;
  };

  return {
    async consume(...checks) {
      for (const [name, key] of checks) {
        try {
          await limiter(name).consume(tagged(key));
        } catch (result) {
          // A client that waits retryAfterMs must find the window renewed.
          // msBeforeNext comes from Redis's PTTL (whole ms, rounded down) or
          // the memory store's clock, and a client's timer may fire up to a
          // millisecond early: waiting exactly that long could land in the old
          // window and be refused again (CI saw it). A few ms more settle it.
          if (result instanceof RateLimiterRes) throw rateLimited(name, Math.ceil(result.msBeforeNext) + RETRY_MARGIN_MS);
          throw result;
        }
      }
    },
    async refund(...checks) {
      for (const [name, key] of checks) await limiter(name).refund(tagged(key));
    },
    async reset(...checks) {
      for (const [name, key] of checks) await limiter(name).reset(tagged(key));
    },
  };
}
