// Activity: quiet means nothing served and nothing for quietMs; the
// deadline ends the wait however busy the node is. A clock and timers of
// the test's own, so nothing here depends on how fast the machine is.
import { describe, expect, it } from 'vitest';
import { manualTime, settle, tracked } from '../../test/support/manual-time.ts';
import { Activity } from './activity.ts';

describe('Activity', () => {
  it('is quiet at once when nothing has been served for quietMs', async () => {
    const time = manualTime();
    const activity = new Activity({ quietMs: 50, now: time.now, after: time.after });
    const wait = tracked(activity.quiet(10_000));
    await settle();
    expect(wait.done).toBe(true);
  });

  it('waits while a request is served, then for quietMs after the last one ends', async () => {
    const time = manualTime();
    const activity = new Activity({ quietMs: 50, now: time.now, after: time.after });
    const end = activity.begin();
    const wait = tracked(activity.quiet(10_000));
    await time.advance(500);
    expect(wait.done).toBe(false);
    expect(activity.inProgress).toBe(1);
    end();
    end(); // a second call changes nothing
    expect(activity.inProgress).toBe(0);
    await time.advance(30);
    const again = activity.begin(); // another one comes and goes: the quiet starts over
    again();
    await time.advance(40);
    expect(wait.done).toBe(false);
    await time.advance(10);
    expect(wait.done).toBe(true);
  });

  it('ends the wait at the deadline however busy the node is', async () => {
    const time = manualTime();
    const activity = new Activity({ quietMs: 50, now: time.now, after: time.after });
    activity.begin(); // never ends
    const wait = tracked(activity.quiet(1_000));
    await time.advance(990);
    expect(wait.done).toBe(false);
    await time.advance(10);
    expect(wait.done).toBe(true);
  });

  it('keeps one timer for everything waiting, however much waits', async () => {
    const time = manualTime();
    let timers = 0;
    const activity = new Activity({ quietMs: 50, now: time.now, after: (ms, fn) => (timers++, time.after(ms, fn)) });
    const end = activity.begin();
    const waits = Array.from({ length: 100 }, (_, i) => tracked(activity.quiet(1_000 + i)));
    await time.advance(200); // busy: looked at every 50 ms
    expect(timers).toBeLessThanOrEqual(5);
    end();
    await time.advance(50);
    expect(waits.every((w) => w.done)).toBe(true);
  });
});
