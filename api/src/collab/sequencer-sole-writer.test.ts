// A sequencer that is the log's only writer (embedded: one PGlite, one node)
// answers head() from its cached head, without reading the log's tail: every
// commit reaches that head before it is acknowledged. Shared (scaled), it
// reads the tail, where other nodes' commits are.
import { describe, expect, it } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { MemoryOperationLog } from './memory-log.ts';
import { Sequencer } from './sequencer.ts';
import type { CommittedOp, NewOp } from './types.ts';

/** Counts the log reads; appends wait for `gate` when one is set. */
class CountingLog extends MemoryOperationLog {
  reads = 0;
  gate: Promise<void> | null = null;
  override async readOps(documentId: string, afterVersion: number, upToVersion?: number, limit?: number): Promise<CommittedOp[]> {
    this.reads++;
    return super.readOps(documentId, afterVersion, upToVersion, limit);
  }
  override async append(documentId: string, ops: NewOp[]): Promise<CommittedOp[]> {
    await this.gate;
    return super.append(documentId, ops);
  }
}

const op = (version: number, text: string, clientId = 'other'): NewOp => ({ documentId: 'd', version, delta: new Delta().insert(text), clientId, clientSeq: version, authorId: null });
const submit = (sequencer: Sequencer, baseVersion: number, text: string, clientSeq: number) =>
  sequencer.submit({ documentId: 'd', baseVersion, delta: new Delta().insert(text), clientId: 'c', clientSeq, authorId: null });

describe('Sequencer.head', () => {
  it("reads no log as the sole writer, and is at its last commit", async () => {
    const log = new CountingLog();
    log.createDocument('d');
    const sequencer = new Sequencer({ log, snapshotEvery: 0, publish: async () => {}, soleWriter: true });
    await submit(sequencer, 0, 'a', 1);
    await submit(sequencer, 1, 'b', 2);
    const reads = log.reads;
    for (let i = 0; i < 3; i++) expect((await sequencer.head('d')).version).toBe(2);
    expect(log.reads).toBe(reads);
  });

  it("reads the log's tail when other writers may append", async () => {
    const log = new CountingLog();
    log.createDocument('d');
    const sequencer = new Sequencer({ log, snapshotEvery: 0, publish: async () => {} });
    await submit(sequencer, 0, 'a', 1);
    await log.append('d', [op(2, 'elsewhere')]);
    expect((await sequencer.head('d')).version).toBe(2);
  });

  it('is read again after its head was dropped and loaded again during a commit', async () => {
    const log = new CountingLog();
    log.createDocument('d');
    const sequencer = new Sequencer({ log, snapshotEvery: 0, publish: async () => {}, soleWriter: true });
    await submit(sequencer, 0, 'a', 1);
    let release!: () => void;
    log.gate = new Promise((r) => (release = r));
    const committing = submit(sequencer, 1, 'b', 2);
    await new Promise((r) => setTimeout(r, 10));
    // Evicted (the cache's size bound) and loaded again from a log without the commit in flight.
    sequencer.heads.forget('d');
    expect((await sequencer.head('d')).version).toBe(1);
    release();
    log.gate = null;
    expect((await committing).version).toBe(2);
    expect((await sequencer.head('d')).version).toBe(2);
  });
});

describe('Sequencer.recentOps', () => {
  it("gives the ops after a version from the cached head as the sole writer, and null when its window no longer holds them", async () => {
    const log = new CountingLog();
    log.createDocument('d');
    const sequencer = new Sequencer({ log, snapshotEvery: 0, publish: async () => {}, soleWriter: true, recentWindow: 2 });
    // The window keeps 2 to 4 ops: after 6 commits, versions 4 to 6.
    for (let v = 0; v < 6; v++) await submit(sequencer, v, String(v), v + 1);
    expect(sequencer.recentOps('d', 4)?.map((o) => o.version)).toEqual([5, 6]);
    expect(sequencer.recentOps('d', 6)).toEqual([]);
    expect(sequencer.recentOps('d', 2)).toBeNull();
    expect(sequencer.recentOps('unknown', 0)).toBeNull();
  });

  it('is null when other writers may append: their ops are in the log, not in this head', async () => {
    const log = new CountingLog();
    log.createDocument('d');
    const sequencer = new Sequencer({ log, snapshotEvery: 0, publish: async () => {} });
    await submit(sequencer, 0, 'a', 1);
    await log.append('d', [op(2, 'elsewhere')]);
    expect(sequencer.recentOps('d', 1)).toBeNull();
  });
});
