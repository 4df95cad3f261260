// How long an authorisation holds: until its access token expires or its
// session is revoked (log-out, log-out everywhere, refresh-token reuse),
// whichever comes first. Revocations reach every node through AccessWatch
// (the access bus), so whatever holds a lease ends everywhere at once.
//
// A socket signed in at connect holds one lease; an operation signed in on
// its own (a bearer token in the operation's extensions, as GraphiQL sends
// its Headers tab) holds its own, so no stream outlives the session that
// authorised it, whichever way the token arrived.
//
// Expiries share one timer per process (ExpiryWheel), not one per lease: a
// Node Timeout with its closure is ~300 bytes, and every idle socket holds
// a lease. Leases are kept in one-second slots, and a slot ends when its
// second is over, so a lease ends between 0 and 1 s AFTER its token
// expires (never before). A client refreshes well before expiry anyway.
import type { AccessWatch, SessionWatcher } from './access-watch.ts';

export type AccessEnd = 'TOKEN_EXPIRED' | 'SESSION_REVOKED';

/** Told once when a lease's access ends: a function, or an object that holds one lease (no closure for it). */
export type AccessEndHandler = ((reason: AccessEnd) => void) | { accessEnded(reason: AccessEnd): void };

export interface AccessLease {
  /** Why access ended, or null while it holds. */
  readonly ended: AccessEnd | null;
  /** Stops the expiry and the watch; `onEnd` is not called after this. */
  release(): void;
}

/** Width of an expiry slot, ms: how late at most a lease ends after its expiry. */
export const EXPIRY_SLOT_MS = 1_000;

// setTimeout's longest delay (~24.8 days); a later slot re-arms.
const MAX_TIMER_MS = 2_147_483_647;

class Lease implements AccessLease, SessionWatcher {
  ended: AccessEnd | null = null;
  released = false;
  /** The expiry slot it sits in (ExpiryWheel). */
  slot = 0;
  readonly access: AccessWatch;
  readonly sessionId: string;
  readonly onEnd: AccessEndHandler;
  constructor(access: AccessWatch, sessionId: string, onEnd: AccessEndHandler) {
    this.access = access;
    this.sessionId = sessionId;
    this.onEnd = onEnd;
  }

  sessionRevoked(): void {
    this.end('SESSION_REVOKED');
  }

  end(reason: AccessEnd): void {
    if (this.ended || this.released) return;
    this.ended = reason;
    wheel.remove(this);
    this.access.removeSessionWatcher(this.sessionId, this);
    if (typeof this.onEnd === 'function') this.onEnd(reason);
    else this.onEnd.accessEnded(reason);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    wheel.remove(this);
    this.access.removeSessionWatcher(this.sessionId, this);
  }
}

/** Every lease's expiry on one timer, armed for the earliest slot. */
class ExpiryWheel {
  private readonly slots = new Map<number, Set<Lease>>();
  private timer: NodeJS.Timeout | null = null;
  /** The slot the timer is armed for (Infinity: none). */
  private armedFor = Infinity;

  add(lease: Lease, expiresAt: number): void {
    const slot = Math.ceil(expiresAt / EXPIRY_SLOT_MS);
    lease.slot = slot;
    let leases = this.slots.get(slot);
    if (!leases) this.slots.set(slot, (leases = new Set()));
    leases.add(lease);
    if (slot < this.armedFor) this.arm(slot);
  }

  remove(lease: Lease): void {
    const leases = this.slots.get(lease.slot);
    if (!leases?.delete(lease) || leases.size > 0) return;
    this.slots.delete(lease.slot);
    // The timer may stay armed for a slot gone empty: it then finds nothing due.
    if (this.slots.size === 0 && this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
      this.armedFor = Infinity;
    }
  }

  private arm(slot: number): void {
    if (this.timer) clearTimeout(this.timer);
    this.armedFor = slot;
    this.timer = setTimeout(() => this.fire(), Math.min(Math.max(0, slot * EXPIRY_SLOT_MS - Date.now()), MAX_TIMER_MS));
    this.timer.unref();
  }

  private fire(): void {
    this.timer = null;
    this.armedFor = Infinity;
    const now = Date.now();
    let next = Infinity;
    for (const [slot, leases] of [...this.slots]) {
      if (slot * EXPIRY_SLOT_MS > now) {
        next = Math.min(next, slot);
        continue;
      }
      this.slots.delete(slot);
      for (const lease of leases) {
        lease.slot = -1; // out of the wheel: remove() finds nothing
        lease.end('TOKEN_EXPIRED');
      }
    }
    if (next !== Infinity && next < this.armedFor) this.arm(next);
  }
}

const wheel = new ExpiryWheel();

/**
 * Calls `onEnd` once, when `expiresAt` passes (up to EXPIRY_SLOT_MS late) or
 * the session is revoked. Watch first, check after: take the lease BEFORE
 * reading whether the session is live, so that a revocation committed in
 * between is either seen by the read or delivered here (see AccessWatch).
 */
export function holdAccess(access: AccessWatch, sessionId: string, expiresAt: Date, onEnd: AccessEndHandler): AccessLease {
  const lease = new Lease(access, sessionId, onEnd);
  access.addSessionWatcher(sessionId, lease);
  if (expiresAt.getTime() <= Date.now()) lease.end('TOKEN_EXPIRED');
  else wheel.add(lease, expiresAt.getTime());
  return lease;
}
