// PresenceBatches over the in-process bus, with the window's timer under
// the test's control: what goes into a batch, who gets it, and that a
// document is subscribed to once per node and let go when nobody watches.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLocalBus } from '../pubsub/event-target-bus.ts';
import { PresenceBatches, type PresenceBatch } from './presence-batches.ts';
import type { PresenceState } from './presence.ts';
import type { BusSubscription } from './types.ts';

const WINDOW_MS = 50;

const state = (clientId: string, index: number, extra: Partial<PresenceState> = {}): PresenceState => ({
  documentId: 'd',
  clientId,
  userId: 'u',
  version: 1,
  index,
  length: 0,
  updatedAt: new Date(0),
  ...extra,
});

/** Lets the bus's deliveries and the batcher's pump run (they are promise steps, not timers). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

describe('PresenceBatches', () => {
  let bus: ReturnType<typeof createLocalBus<PresenceState>>;
  let subscriptions: number;
  let batches: PresenceBatches;
  beforeEach(() => {
    vi.useFakeTimers();
    bus = createLocalBus<PresenceState>();
    subscriptions = 0;
    batches = new PresenceBatches({
      windowMs: WINDOW_MS,
      subscribe: (documentId) => {
        subscriptions++;
        return bus.subscribe(`presence:${documentId}`);
      },
    });
  });
  afterEach(() => {
    batches.dispose();
    vi.useRealTimers();
  });

  const publish = async (...states: PresenceState[]) => {
    for (const s of states) await bus.publish(`presence:${s.documentId}`, s);
    await settle();
  };
  const taken = (queue: BusSubscription<PresenceBatch>) => queue.drain();

  it('gathers a window into one batch holding the latest event of each client, a leave included', async () => {
    const watcher = await batches.watch('d');
    await publish(state('a', 1), state('b', 1), state('a', 2), state('a', 3), state('b', 0, { left: true }));
    expect(taken(watcher)).toEqual([]); // nothing before the window closes
    vi.advanceTimersByTime(WINDOW_MS);
    const [batch, ...more] = taken(watcher);
    expect(more).toEqual([]);
    expect(batch!.entries.map((e) => [e.clientId, e.index, e.left ?? false])).toEqual([
      ['a', 3, false],
      ['b', 0, true],
    ]);
    // The next window starts empty: no batch without an event.
    vi.advanceTimersByTime(10 * WINDOW_MS);
    expect(taken(watcher)).toEqual([]);
    await publish(state('a', 4));
    vi.advanceTimersByTime(WINDOW_MS);
    expect(taken(watcher).map((b) => b.entries.map((e) => e.index))).toEqual([[4]]);
  });

  it('keeps two users with the same clientId apart', async () => {
    const watcher = await batches.watch('d');
    await publish(state('tab', 1, { userId: 'ann' }), state('tab', 2, { userId: 'bob' }));
    vi.advanceTimersByTime(WINDOW_MS);
    expect(taken(watcher)[0]!.entries.map((e) => [e.userId, e.index])).toEqual([
      ['ann', 1],
      ['bob', 2],
    ]);
  });

  it('hands every watcher of a document the same batch object, from one subscription, with an id of its own', async () => {
    const [x, y, z] = await Promise.all([batches.watch('d'), batches.watch('d'), batches.watch('d')]);
    const other = await batches.watch('e');
    expect(subscriptions).toBe(2);
    await publish(state('a', 1), state('a', 1, { documentId: 'e' }));
    vi.advanceTimersByTime(WINDOW_MS);
    const [bx, by, bz, be] = [taken(x!), taken(y!), taken(z!), taken(other)].map((b) => b[0]!);
    expect(by).toBe(bx);
    expect(bz).toBe(bx);
    expect(bx!.documentId).toBe('d');
    expect(be!.documentId).toBe('e');
    expect(be!.batchId).not.toBe(bx!.batchId);
  });

  it('lets go of a document when its last watcher leaves, and subscribes afresh for the next', async () => {
    const first = await batches.watch('d');
    const second = await batches.watch('d');
    first.close();
    expect(batches.documents).toBe(1);
    second.close();
    expect(batches.documents).toBe(0);
    await publish(state('a', 1));
    vi.advanceTimersByTime(WINDOW_MS);
    expect(taken(second)).toEqual([]);

    const again = await batches.watch('d');
    expect(subscriptions).toBe(2);
    await publish(state('a', 2));
    vi.advanceTimersByTime(WINDOW_MS);
    expect(taken(again).map((b) => b.entries.map((e) => e.index))).toEqual([[2]]);
  });

  it('does not deliver to a watcher that left, while the others go on', async () => {
    const [stays, leaves] = await Promise.all([batches.watch('d'), batches.watch('d')]);
    await publish(state('a', 1));
    leaves.close();
    vi.advanceTimersByTime(WINDOW_MS);
    expect(taken(stays)).toHaveLength(1);
    expect(taken(leaves)).toEqual([]);
  });

  it('sends a waiting batch with the document\'s ops, in the same turn, but never sooner than a window after the last one', async () => {
    const [watcher, other] = await Promise.all([batches.watch('d'), batches.watch('e')]);
    batches.opsHandedOut('d'); // nothing waiting: nothing goes
    expect(taken(watcher)).toEqual([]);

    await publish(state('a', 1));
    batches.opsHandedOut('e'); // another document's ops: d's batch waits
    expect(taken(watcher)).toEqual([]);
    batches.opsHandedOut('d');
    expect(taken(watcher).map((b) => b.entries.map((e) => e.index))).toEqual([[1]]);
    expect(taken(other)).toEqual([]);

    // Within a window of that batch, ops do not hurry the next: its timer sends it.
    vi.advanceTimersByTime(10);
    await publish(state('a', 2));
    vi.advanceTimersByTime(WINDOW_MS - 20);
    batches.opsHandedOut('d');
    expect(taken(watcher)).toEqual([]);
    vi.advanceTimersByTime(20);
    expect(taken(watcher).map((b) => b.entries.map((e) => e.index))).toEqual([[2]]);

    // A window after it, they do, and the timer has nothing left to send.
    vi.advanceTimersByTime(WINDOW_MS + 5);
    await publish(state('a', 3));
    vi.advanceTimersByTime(1);
    batches.opsHandedOut('d');
    expect(taken(watcher).map((b) => b.entries.map((e) => e.index))).toEqual([[3]]);
    vi.advanceTimersByTime(10 * WINDOW_MS);
    expect(taken(watcher)).toEqual([]);
  });

  it('keeps a crowd\'s wider window when its ops go out', async () => {
    const crowd = new PresenceBatches({ windowMs: WINDOW_MS, sendsPerSecond: 100, maxWindowMs: 3 * WINDOW_MS, subscribe: (documentId) => bus.subscribe(`presence:${documentId}`) });
    const watchers = await Promise.all(Array.from({ length: 10 }, () => crowd.watch('d'))); // a window of 100 ms
    await publish(state('a', 1));
    crowd.opsHandedOut('d');
    expect(watchers.map((w) => taken(w).length)).toEqual(Array(10).fill(1));
    vi.advanceTimersByTime(1);
    await publish(state('a', 2));
    vi.advanceTimersByTime(WINDOW_MS);
    crowd.opsHandedOut('d'); // more than the base window, less than the crowd's
    expect(taken(watchers[0]!)).toEqual([]);
    vi.advanceTimersByTime(100 - WINDOW_MS - 1);
    crowd.opsHandedOut('d');
    expect(watchers.map((w) => taken(w).length)).toEqual(Array(10).fill(1));
    crowd.dispose();
  });

  it('widens the window for a crowd, so its sends a second stay within budget, up to the longest window', async () => {
    const crowd = new PresenceBatches({ windowMs: WINDOW_MS, sendsPerSecond: 100, maxWindowMs: 3 * WINDOW_MS, subscribe: (documentId) => bus.subscribe(`presence:${documentId}`) });
    expect(crowd.windowFor(1)).toBe(WINDOW_MS);
    expect(crowd.windowFor(10)).toBe(100); // 10 watchers x 10 batches a second
    expect(crowd.windowFor(1_000)).toBe(3 * WINDOW_MS);
    const watchers = await Promise.all(Array.from({ length: 10 }, () => crowd.watch('d')));
    await publish(state('a', 1));
    vi.advanceTimersByTime(99);
    expect(taken(watchers[0]!)).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(watchers.map((w) => taken(w).length)).toEqual(Array(10).fill(1));
    crowd.dispose();
  });

  it('passes on a failed subscription to the watcher and lets the next one try again', async () => {
    let fail = true;
    const flaky = new PresenceBatches({
      windowMs: WINDOW_MS,
      subscribe: (documentId) => (fail ? Promise.reject(new Error('bus down')) : bus.subscribe(`presence:${documentId}`)),
    });
    await expect(flaky.watch('d')).rejects.toThrow('bus down');
    await settle();
    expect(flaky.documents).toBe(0);
    fail = false;
    const watcher = await flaky.watch('d');
    await publish(state('a', 1));
    vi.advanceTimersByTime(WINDOW_MS);
    expect(taken(watcher)).toHaveLength(1);
    flaky.dispose();
  });
});
