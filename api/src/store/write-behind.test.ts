// WriteBehind: a write runs after the work that scheduled it, one at a time
// per key, the newest placement of a key replaces an older one still
// waiting, an older one is dropped while a newer one runs, and idle()
// waits for all of it (shutdown).
import { describe, expect, it } from 'vitest';
import { WriteBehind } from './write-behind.ts';

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
});
