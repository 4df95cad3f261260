// The feed hands this node's own commits to local streams at once (not a
// bus round trip later), and never twice: the bus's copy is dropped.
import { describe, expect, it } from 'vitest';
import { ALWAYS_LIVE, OperationFeed } from './feed.ts';
import { MemoryOperationLog } from './memory-log.ts';
import { Delta } from '../../../protocol/delta.ts';
import { createSubscriptionQueue, type SubscriptionQueue } from './subscription-queue.ts';
import type { CommittedOp } from './types.ts';

const op = (version: number): CommittedOp => ({
  documentId: 'd',
  version,
  delta: new Delta().insert(String(version)),
  clientId: 'c',
  clientSeq: version,
  authorId: null,
  createdAt: new Date(),
});

async function setup() {
  const log = new MemoryOperationLog();
  log.createDocument('d');
  let transport!: SubscriptionQueue<CommittedOp>;
  const feed = new OperationFeed({
    log,
    subscribe: async () => (transport = createSubscriptionQueue<CommittedOp>(() => {})),
    headVersion: async () => 0,
    live: ALWAYS_LIVE,
    pollIntervalMs: 60_000,
  });
  const stream = await feed.subscribe('d');
  /** Versions the stream's queue holds now. */
  const received = () => stream.drain().map((o) => o.version);
  /** Lets the feed's transport loop run. */
  const settle = () => new Promise((resolve) => setImmediate(resolve));
  return { feed, transport, received, settle };
}

describe('OperationFeed.deliver', () => {
  it("hands a node's own commits to its streams at once and drops the transport's copy of them", async () => {
    const { feed, transport, received, settle } = await setup();
    feed.deliver([op(1), op(2)]);
    expect(received()).toEqual([1, 2]);
    transport.push(op(1));
    transport.push(op(2));
    transport.push(op(3)); // someone else's, only on the transport
    await settle();
    expect(received()).toEqual([3]);
    feed.dispose();
  });

  it('leaves commits that do not follow what the feed has seen to the transport, in order', async () => {
    const { feed, transport, received, settle } = await setup();
    feed.deliver([op(2)]); // version 1 has not reached this feed yet
    expect(received()).toEqual([]);
    transport.push(op(1));
    transport.push(op(2));
    await settle();
    expect(received()).toEqual([1, 2]);
    feed.deliver([op(3)]);
    expect(received()).toEqual([3]);
    feed.dispose();
  });
});
