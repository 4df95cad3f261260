// operationStream's promises to clients (docs/protocol.md, "The stream"):
// every op after afterVersion, in order, each once, with gaps in the live
// feed filled from the log, and an end as soon as the client unsubscribes.
import { describe, expect, it } from 'vitest';
import { MemoryOperationLog } from './memory-log.ts';
import { Delta } from '../../../protocol/delta.ts';
import { operationBatches, operationStream } from './stream.ts';
import { createSubscriptionQueue } from './subscription-queue.ts';
import type { CommittedOp, OperationLog } from './types.ts';

async function setup(committed: number) {
  const log = new MemoryOperationLog();
  log.createDocument('d');
  const ops: CommittedOp[] = [];
  const commit = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const version = ops.length + 1;
      const [op] = await log.append('d', [{ documentId: 'd', version, delta: new Delta().insert(String(version % 10)), clientId: 'c', clientSeq: version, authorId: null }]);
      ops.push(op!);
    }
  };
  await commit(committed);
  let closed = false;
  const live = createSubscriptionQueue<CommittedOp>(() => (closed = true));
  const open = (afterVersion: number) => operationStream({ log, documentId: 'd', afterVersion, live: { subscribe: async () => live } });
  const openBatches = (afterVersion: number, pageSize?: number) =>
    operationBatches({ log, documentId: 'd', afterVersion, live: { subscribe: async () => live }, ...(pageSize !== undefined && { pageSize }) });
  return { ops, commit, live, open, openBatches, closed: () => closed };
}

async function take(stream: AsyncIterator<CommittedOp>, count: number): Promise<number[]> {
  const versions: number[] = [];
  while (versions.length < count) {
    const { value, done } = await stream.next();
    if (done) break;
    versions.push(value.version);
  }
  return versions;
}

describe('operationStream', () => {
  it('replays the log after afterVersion, then live ops, dropping what it already delivered', async () => {
    const { ops, commit, live, open } = await setup(3);
    const stream = open(1);
    expect(await take(stream, 2)).toEqual([2, 3]);
    await commit(1);
    // The live feed repeats op 3 (it was published while the catch-up was read), then brings 4.
    live.push(ops[2]!);
    live.push(ops[3]!);
    expect(await take(stream, 1)).toEqual([4]);
  });

  it('fills a gap in the live feed from the log: ops 3 and 4 never arrive live, 5 does', async () => {
    const { ops, commit, live, open } = await setup(2);
    const stream = open(0);
    expect(await take(stream, 2)).toEqual([1, 2]);
    await commit(3);
    live.push(ops[4]!);
    expect(await take(stream, 3)).toEqual([3, 4, 5]);
  });

  it('ends at once when the client unsubscribes, even while it waits for a live op', async () => {
    const { open, closed } = await setup(1);
    const stream = open(1);
    const waiting = stream.next();
    await stream.return!();
    expect(await waiting).toMatchObject({ done: true });
    expect(closed()).toBe(true);
  });
});

describe('operationBatches', () => {
  const versions = (batch: CommittedOp[] | undefined) => batch?.map((op) => op.version);

  it('sends the catch-up in pages and the live ops that arrived together as one batch', async () => {
    const { ops, commit, live, openBatches } = await setup(5);
    const stream = openBatches(0, 2);
    expect(versions((await stream.next()).value)).toEqual([1, 2]);
    expect(versions((await stream.next()).value)).toEqual([3, 4]);
    expect(versions((await stream.next()).value)).toEqual([5]);
    await commit(3);
    // One group commit's publishes arrive in one turn (plus a duplicate of 5).
    for (const op of [ops[4]!, ops[5]!, ops[6]!]) live.push(op);
    expect(versions((await stream.next()).value)).toEqual([6, 7]); // at most pageSize per batch
    live.push(ops[7]!);
    expect(versions((await stream.next()).value)).toEqual([8]);
  });

  it('fills a gap inside a live batch from the log, keeping version order and delivering each op once', async () => {
    const { ops, commit, live, openBatches } = await setup(1);
    const stream = openBatches(1);
    await commit(4); // versions 2..5; 3 and 4 never arrive live
    live.push(ops[1]!);
    live.push(ops[4]!);
    live.push(ops[4]!);
    const delivered: number[] = [];
    while (delivered.length < 4) delivered.push(...versions((await stream.next()).value)!);
    expect(delivered).toEqual([2, 3, 4, 5]);
  });

  it('delivers the same catch-up as operationStream, only grouped', async () => {
    const { open, openBatches } = await setup(12);
    const single = open(2);
    const batched = openBatches(2, 3);
    const one: number[] = [];
    while (one.length < 10) one.push((await single.next()).value!.version);
    const sizes: number[] = [];
    const many: number[] = [];
    while (many.length < 10) {
      const batch = (await batched.next()).value!;
      sizes.push(batch.length);
      many.push(...versions(batch)!);
    }
    expect(many).toEqual(one);
    expect(sizes).toEqual([3, 3, 3, 1]);
  });
});

describe("the catch-up from the node's recent ops", () => {
  /** A log that fails every read: the catch-up must not touch it. */
  const unreadable = (log: OperationLog): OperationLog =>
    Object.assign(Object.create(log) as OperationLog, {
      readOps: () => Promise.reject(new Error('the log was read')),
    });

  it('comes from memory without reading the log, in pages, and drops what the live feed repeats', async () => {
    const { ops, commit, live } = await setup(5);
    const log = new MemoryOperationLog();
    const asked: number[] = [];
    const recent = {
      recentOps: (documentId: string, after: number) => {
        asked.push(after);
        return documentId === 'd' ? ops.slice(after) : null;
      },
    };
    const stream = operationBatches({ log: unreadable(log), recent, documentId: 'd', afterVersion: 1, live: { subscribe: async () => live }, pageSize: 3 });
    const versions = (batch: CommittedOp[] | undefined) => batch?.map((op) => op.version);
    expect(versions((await stream.next()).value)).toEqual([2, 3, 4]);
    expect(versions((await stream.next()).value)).toEqual([5]);
    expect(asked).toEqual([1]);
    await commit(1);
    live.push(ops[4]!); // published while the catch-up was taken
    live.push(ops[5]!);
    expect(versions((await stream.next()).value)).toEqual([6]);
  });

  it('asks only once the live subscription is confirmed (an op committed in between is in one or the other)', async () => {
    const { ops, live } = await setup(2);
    let confirmed = false;
    const stream = operationStream({
      log: new MemoryOperationLog(),
      recent: { recentOps: (_d, after) => (expect(confirmed).toBe(true), ops.slice(after)) },
      documentId: 'd',
      afterVersion: 0,
      live: {
        subscribe: async () => {
          await new Promise((r) => setTimeout(r, 5));
          confirmed = true;
          return live;
        },
      },
    });
    expect(await take(stream, 2)).toEqual([1, 2]);
  });

  it('reads the log when the node does not hold them all', async () => {
    const { live, ops } = await setup(3);
    const log = new MemoryOperationLog();
    log.createDocument('d');
    for (const op of ops) await log.append('d', [op]);
    const stream = operationStream({ log, recent: { recentOps: () => null }, documentId: 'd', afterVersion: 0, live: { subscribe: async () => live } });
    expect(await take(stream, 3)).toEqual([1, 2, 3]);
  });
});
