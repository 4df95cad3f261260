// How long an authorisation holds: until its access token expires or its
// session is revoked (log-out, log-out everywhere, refresh-token reuse),
// whichever comes first. Revocations reach every node through AccessWatch
// (the access bus), so whatever holds a lease ends everywhere at once.
//
// A socket signed in at connect holds one lease; an operation signed in on
// its own (a bearer token in the operation's extensions, as GraphiQL sends
// its Headers tab) holds its own, so no stream outlives the session that
// authorised it, whichever way the token arrived.
import type { AccessWatch } from './access-watch.ts';

export type AccessEnd = 'TOKEN_EXPIRED' | 'SESSION_REVOKED';

export interface AccessLease {
  /** Why access ended, or null while it holds. */
  readonly ended: AccessEnd | null;
  /** Stops the timer and the watch; `onEnd` is not called after this. */
  release(): void;
}

// setTimeout's longest delay (~24.8 days); a later expiry re-arms.
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Calls `onEnd` once, when `expiresAt` passes or the session is revoked.
 * Watch first, check after: take the lease BEFORE reading whether the
 * session is live, so that a revocation committed in between is either seen
 * by the read or delivered here (see AccessWatch).
 */
export function holdAccess(access: AccessWatch, sessionId: string, expiresAt: Date, onEnd: (reason: AccessEnd) => void, now: () => number = Date.now): AccessLease {
  let ended: AccessEnd | null = null;
  let released = false;
  let timer: NodeJS.Timeout | undefined;
  const end = (reason: AccessEnd) => {
    if (ended || released) return;
    ended = reason;
    clearTimeout(timer);
    unwatch();
    onEnd(reason);
  };
  const unwatch = access.watchSession(sessionId, () => end('SESSION_REVOKED'));
  const arm = () => {
    const left = expiresAt.getTime() - now();
    if (left <= 0) return end('TOKEN_EXPIRED');
    timer = setTimeout(arm, Math.min(left, MAX_TIMER_MS));
    timer.unref();
  };
  arm();
  return {
    get ended() {
      return ended;
    },
    release() {
      if (released) return;
      released = true;
      clearTimeout(timer);
      unwatch();
    },
  };
}
