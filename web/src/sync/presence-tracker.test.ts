// The tracker keys entries by (user, clientId) and drops one when the
// server says it left, without waiting for the TTL.
import { describe, expect, it } from 'vitest';
import { PresenceTracker, type PlacePositions } from './presence-tracker.ts';
import type { WirePresence } from './transport.ts';

const here: PlacePositions = (_version, positions) => positions;
const wire = (clientId: string, userId: string, index: number, left?: boolean): WirePresence => ({
  clientId,
  user: { id: userId, name: userId },
  version: 1,
  index,
  length: 0,
  ...(left === undefined ? {} : { left }),
});

describe('PresenceTracker', () => {
  it('drops an entry on its leave event at once', () => {
    const tracker = new PresenceTracker();
    expect(tracker.receive(wire('tab', 'ann', 3), 60_000, here)).toBe(true);
    expect(tracker.list()).toHaveLength(1);
    expect(tracker.receive(wire('tab', 'ann', 3, true), 60_000, here)).toBe(true);
    expect(tracker.list()).toEqual([]);
    expect(tracker.receive(wire('tab', 'ann', 3, true), 60_000, here)).toBe(false); // already gone
  });

  it("keeps two users' entries with the same clientId apart; one's leave leaves the other", () => {
    const tracker = new PresenceTracker();
    tracker.receive(wire('tab', 'ann', 3), 60_000, here);
    tracker.receive(wire('tab', 'bob', 5), 60_000, here);
    expect(tracker.list().map((p) => [p.user?.id, p.index])).toEqual([['ann', 3], ['bob', 5]]);
    tracker.receive(wire('tab', 'bob', 5, true), 60_000, here);
    expect(tracker.list().map((p) => [p.user?.id, p.index])).toEqual([['ann', 3]]);
  });

  it('forgets a waiting entry (ahead of the local version) on its leave', () => {
    const tracker = new PresenceTracker();
    expect(tracker.receive(wire('tab', 'ann', 3), 60_000, () => 'ahead')).toBe(false);
    tracker.receive(wire('tab', 'ann', 3, true), 60_000, here);
    expect(tracker.catchUp(here)).toBe(false);
    expect(tracker.list()).toEqual([]);
  });
});
