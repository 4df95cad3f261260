// Bounded waits for the multi-process tests. The waits themselves stay
// event-driven (a stream result, a log line, an acknowledgement); the bound
// only turns a wait that can no longer end into a failure that says what it
// was waiting for and what the state was, instead of a bare test timeout.

/** Long enough for a loaded two-core CI machine; far below the tests' own timeouts. */
export const WAIT_MS = 30_000;

export interface WaitOptions {
  /** What the wait is for, as the failure should say it ("20 more acks on both nodes"). */
  what: string;
  timeoutMs?: number;
  /** Describes the state at the time of the failure (clients, node logs). */
  state?: () => unknown;
}

export class WaitTimeout extends Error {
  override name = 'WaitTimeout';
}

function describe(state: unknown): string {
  if (typeof state === 'string') return state;
  try {
    return JSON.stringify(state, null, 2);
  } catch {
    return String(state);
  }
}

/**
 * Resolves as `wait` does, or rejects with a WaitTimeout after `timeoutMs`:
 * "timed out after N ms waiting for <what>; last state: ...".
 */
export async function waitFor<T>(wait: Promise<T> | (() => Promise<T>), options: WaitOptions): Promise<T> {
  const { what, timeoutMs = WAIT_MS, state } = options;
  const promise = typeof wait === 'function' ? wait() : wait;
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      let last = '';
      try {
        last = state ? `; last state: ${describe(state())}` : '';
      } catch (error) {
        last = `; last state unavailable: ${String(error)}`;
      }
      reject(new WaitTimeout(`timed out after ${timeoutMs} ms waiting for ${what}${last}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}
