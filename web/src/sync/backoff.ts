// Reconnect delays: exponential, capped, with jitter, so that a server
// restart does not bring every client back in the same millisecond
// (docs/protocol.md §7).

export interface BackoffOptions {
  /** Delay ceiling of the first retry, milliseconds. @default 500 */
  baseMs: number;
  /** Largest delay, milliseconds. @default 30000 */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };

/**
 * The delay before retry number `attempt` (0 = first): "equal jitter", half
 * of the exponential ceiling fixed and half random, so that retries are
 * spread out yet never immediate. `random` returns [0, 1).
 */
export function backoffDelay(attempt: number, random: () => number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}
