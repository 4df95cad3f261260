// While the transport is down the feed polls the log; when it comes back,
// an op published before its subscriptions were live again reaches this
// node only through a poll that reads the log after the recovery. Such a
// poll must happen however slow the node is: a poll already under way
// when the transport recovered does not count.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OperationFeed, type LiveState } from './feed.ts';
import { MemoryOperationLog } from './memory-log.ts';
import { Delta } from '../../../protocol/delta.ts';
import { createSubscriptionQueue } from './subscription-queue.ts';
import type { CommittedOp, NewOp } from './types.ts';

const newOp = (version: number): NewOp => ({ documentId: 'd', version, delta: new Delta().insert(String(version)), clientId: 'other-node', clientSeq: version, authorId: null });

/** A transport whose health the test switches. */
function switchableLive() {
  let healthy = true;
  const listeners = new Set<(healthy: boolean) => void>();
  const live: LiveState = {
    healthy: () => healthy,
    onChange: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
  };
  const set = (value: boolean) => {
    healthy = value;
    for (const l of listeners) l(value);
  };
  return { live, set };
}

/**
 * A log whose reads can be held: a held read returns what the log had when
 * it was called (as a query that started then would), once released.
 */
function holdableLog() {
  const log = new MemoryOperationLog();
  log.createDocument('d');
  let held: Array<() => void> | null = null;
  const calls: number[] = [];
  const read = log.readOps.bind(log);
  log.readOps = async (...args: Parameters<MemoryOperationLog['readOps']>) => {
    const ops = await read(...args);
    calls.push(args[1]);
    if (held) await new Promise<void>((resolve) => held!.push(resolve));
    return ops;
  };
  return {
    log,
    calls,
    hold: () => (held = []),
    release: () => {
      const waiting = held ?? [];
      held = null;
      for (const r of waiting) r();
    },
  };
}

describe('OperationFeed after the transport recovers', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('reads the log again after recovery even when the poll under way at recovery ends long after it', async () => {
    const { live, set } = switchableLive();
    const { log, calls, hold, release } = holdableLog();
    const feed = new OperationFeed({
      log,
      // The transport itself delivers nothing in this test: what it missed is the point.
      subscribe: async () => createSubscriptionQueue<CommittedOp>(() => {}),
      headVersion: async () => 0,
      live,
      pollIntervalMs: 100,
    });
    const stream = await feed.subscribe('d');

    set(false);
    hold();
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toHaveLength(1); // a poll is under way, and slow
    // Committed and published by another node while this node's
    // subscription is not live yet: only the log has it.
    await log.append('d', [newOp(1)]);
    set(true);
    // A busy node: the poll under way finishes well after the recovery.
    await vi.advanceTimersByTimeAsync(5_000);
    release();
    await vi.advanceTimersByTimeAsync(1_000);

    expect(stream.drain().map((op) => op.version)).toEqual([1]);
    feed.dispose();
  });

  it('stops polling once the owed polls are done', async () => {
    const { live, set } = switchableLive();
    const { log, calls } = holdableLog();
    const feed = new OperationFeed({ log, subscribe: async () => createSubscriptionQueue<CommittedOp>(() => {}), headVersion: async () => 0, live, pollIntervalMs: 100 });
    await feed.subscribe('d');
    set(false);
    await vi.advanceTimersByTimeAsync(1_000);
    set(true);
    await vi.advanceTimersByTimeAsync(1_000);
    const polls = calls.length;
    await vi.advanceTimersByTimeAsync(10_000);
    expect(calls).toHaveLength(polls);
    feed.dispose();
  });
});
