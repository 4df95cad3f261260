// Leases share one expiry timer: each ends at its expiry (never before, at
// most one slot after), a released one never ends, and a revocation ends
// one at once.
import { describe, expect, it } from 'vitest';
import { createLocalBus } from '../pubsub/event-target-bus.ts';
import { AccessWatch, type AccessEvent } from './access-watch.ts';
import { EXPIRY_SLOT_MS, holdAccess, type AccessEnd } from './access-lease.ts';

const watch = () => new AccessWatch(createLocalBus<AccessEvent>());

/** Resolves with the reason and the time a lease ended. */
function ending(): { onEnd: (reason: AccessEnd) => void; ended: Promise<{ reason: AccessEnd; at: number }> } {
  let onEnd!: (reason: AccessEnd) => void;
  const ended = new Promise<{ reason: AccessEnd; at: number }>((resolve) => (onEnd = (reason) => resolve({ reason, at: Date.now() })));
  return { onEnd, ended };
}

describe('holdAccess', () => {
  it('ends leases with TOKEN_EXPIRED at their expiry, in order, on one timer', async () => {
    const access = watch();
    const start = Date.now();
    const expiries = [1_300, 200, 700].map((ms) => new Date(start + ms));
    const leases = expiries.map((expiresAt) => {
      const { onEnd, ended } = ending();
      return { lease: holdAccess(access, 's1', expiresAt, onEnd), ended, expiresAt };
    });
    for (const { lease, ended, expiresAt } of leases) {
      const { reason, at } = await ended;
      expect(reason).toBe('TOKEN_EXPIRED');
      expect(lease.ended).toBe('TOKEN_EXPIRED');
      expect(at).toBeGreaterThanOrEqual(expiresAt.getTime());
      expect(at).toBeLessThan(expiresAt.getTime() + EXPIRY_SLOT_MS + 200);
    }
  });

  it('never ends a released lease, and ends one at once when its session is revoked', async () => {
    const access = watch();
    const released = ending();
    let releasedEnded = false;
    void released.ended.then(() => (releasedEnded = true));
    holdAccess(access, 's1', new Date(Date.now() + 100), released.onEnd).release();
    const revoked = ending();
    const lease = holdAccess(access, 's2', new Date(Date.now() + 60_000), revoked.onEnd);
    const later = ending();
    holdAccess(access, 's3', new Date(Date.now() + 1_200), later.onEnd);
    access.dispatch({ kind: 'sessions-revoked', userId: 'u1', sessionIds: ['s2'] });
    expect((await revoked.ended).reason).toBe('SESSION_REVOKED');
    expect(lease.ended).toBe('SESSION_REVOKED');
    // The released lease's slot has passed by the time a later one ends.
    expect((await later.ended).reason).toBe('TOKEN_EXPIRED');
    expect(releasedEnded).toBe(false);
    expect(access.size).toBe(0);
  });

  it('ends a lease whose token has already expired at once', () => {
    const { onEnd } = ending();
    expect(holdAccess(watch(), 's1', new Date(Date.now() - 1), onEnd).ended).toBe('TOKEN_EXPIRED');
  });
});
