// WriteBehind: a write runs after the work that scheduled it, one at a time
// per key, the newest placement of a key replaces an older one still
// waiting, an older one is dropped while a newer one runs, and idle()
// waits for all of it (shutdown). With the node's Activity, a write and
// each of its slices wait for a quiet moment, or for the deadline.
import { describe, expect, it } from 'vitest';
import { manualTime, settle } from '../../test/support/manual-time.ts';
import { Activity } from '../http/activity.ts';
import { inSlices, WriteBehind } from './write-behind.ts';

/** A promise and the function that settles it. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('WriteBehind', () => {
  it('runs a write after the work that scheduled it, not during it', async () => {
    const writes = new WriteBehind();
    const log: string[] = [];
    writes.schedule('a', 1, async () => void log.push('write'));
    log.push('answer');
    await Promise.resolve();
    log.push('still answering');
    await writes.idle();
    expect(log).toEqual(['answer', 'still answering', 'write']);
  });

  it('keeps the newest placement of a key while it waits, and runs one write at a time per key', async () => {
    const writes = new WriteBehind();
    const ran: number[] = [];
    const first = gate();
    writes.schedule('a', 5, async () => {
      ran.push(5);
      await first.opened;
    });
    await new Promise<void>((resolve) => setImmediate(resolve)); // version 5 is running now
    writes.schedule('a', 4, async () => void ran.push(4)); // older than the running one: dropped
    writes.schedule('a', 6, async () => void ran.push(6));
    writes.schedule('a', 8, async () => void ran.push(8)); // replaces 6 while it waits
    writes.schedule('a', 7, async () => void ran.push(7)); // older than the waiting one: dropped
    writes.schedule('b', 1, async () => void ran.push(101)); // another key does not wait for 'a'
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(ran).toEqual([5, 101]);
    first.open();
    await writes.idle();
    expect(ran).toEqual([5, 101, 8]);
  });

  it('tells onError of a failed write and goes on with the next', async () => {
    const errors: unknown[] = [];
    const writes = new WriteBehind({ onError: (error) => errors.push(error) });
    const ran: number[] = [];
    writes.schedule('a', 1, async () => {
      throw new Error('database gone');
    });
    await new Promise<void>((resolve) => setImmediate(resolve));
    writes.schedule('a', 2, async () => void ran.push(2));
    await writes.idle();
    expect(errors).toHaveLength(1);
    expect(ran).toEqual([2]);
  });

  describe('at quiet moments of the node', () => {
    /** A WriteBehind that waits for `activity` (quiet after 50 ms, at the latest 1 s after scheduling), on a clock of the test's own. */
    function quietWrites() {
      const time = manualTime();
      const activity = new Activity({ quietMs: 50, now: time.now, after: time.after });
      const writes = new WriteBehind({ quiet: (deadline) => activity.quiet(deadline), maxWaitMs: 1_000, now: time.now });
      const stored: number[][] = [];
      const sliced = (items: number[]) => inSlices(items, 2, async (slice) => void stored.push(slice));
      return { time, activity, writes, stored, sliced };
    }

    it('stores nothing while requests are served, then waits again before the next slice if one arrived meanwhile, and stores all of it in the end', async () => {
      const { time, activity, writes, stored } = quietWrites();
      let end = activity.begin(); // the read that moved them is still being answered
      let arriving: (() => void) | undefined;
      writes.schedule(
        'threads:a',
        7,
        inSlices([1, 2, 3, 4, 5], 2, async (slice) => {
          stored.push(slice);
          if (slice[0] === 1) arriving = activity.begin(); // a request comes in while the first slice is written
        }),
      );
      await time.advance(200);
      expect(stored).toEqual([]);
      end();
      await time.advance(49);
      expect(stored).toEqual([]); // not quiet for long enough yet
      await time.advance(1);
      expect(stored).toEqual([[1, 2]]);
      await time.advance(100);
      expect(stored).toEqual([[1, 2]]); // the next slice waits for that request
      arriving!();
      await time.advance(49);
      expect(stored).toEqual([[1, 2]]);
      await time.advance(1);
      expect(stored).toEqual([[1, 2], [3, 4], [5]]); // quiet since: the rest goes in one stretch
    });

    it('stores at the deadline a node that is never quiet, however many requests come', async () => {
      const { time, activity, writes, stored, sliced } = quietWrites();
      writes.schedule('threads:a', 7, sliced([1, 2, 3]));
      for (let t = 0; t < 990; t += 10) {
        activity.begin()(); // a request every 10 ms
        await time.advance(10);
      }
      expect(stored).toEqual([]);
      activity.begin(); // and one that never ends
      await time.advance(10);
      expect(stored).toEqual([[1, 2], [3]]);
    });

    it('keeps the first deadline when a newer placement replaces a waiting one, and stores only the newest', async () => {
      const { time, activity, writes, stored, sliced } = quietWrites();
      activity.begin();
      writes.schedule('threads:a', 7, sliced([7]));
      await time.advance(600);
      writes.schedule('threads:a', 9, sliced([9]));
      await time.advance(400); // 1 s after the first was scheduled
      expect(stored).toEqual([[9]]);
    });

    it('runs what waits at once when asked to finish (shutdown)', async () => {
      const { activity, writes, stored, sliced } = quietWrites();
      activity.begin();
      writes.schedule('threads:a', 7, sliced([1, 2, 3]));
      writes.schedule('suggestions:a', 7, sliced([4]));
      await settle();
      expect(stored).toEqual([]);
      await writes.idle();
      expect(stored.sort()).toEqual([[1, 2], [3], [4]].sort());
    });
  });
});
