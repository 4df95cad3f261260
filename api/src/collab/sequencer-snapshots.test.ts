// Snapshots: every snapshotEvery versions, and for a document over 512 KiB
// every n times as many (n = its size in 512 KiB steps): a snapshot is the
// whole content. A head loaded from a snapshot and the ops after it has
// the content the log composes to.
import { describe, expect, it } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { MemoryOperationLog } from './memory-log.ts';
import { Sequencer } from './sequencer.ts';
import { storedSnapshot } from './document-head.ts';
import { opsBytes } from './content-bytes.ts';
import type { Snapshot } from './types.ts';

async function typeInto(initial: string, keystrokes: number) {
  const log = new MemoryOperationLog();
  log.createDocument('d');
  const sequencer = new Sequencer({ log, snapshotEvery: 10, publish: async () => {} });
  let version = 0;
  const submit = async (delta: Delta) => (version = (await sequencer.submit({ documentId: 'd', baseVersion: version, delta, clientId: 'c', clientSeq: version, authorId: null })).version);
  // Five bold characters in every 50, so the content is many runs (1.2 MB of text + 312 KB of formats: 3 steps).
  const seed = new Delta();
  for (let at = 0; at < initial.length; at += 5) seed.insert(initial.slice(at, at + 5), at % 50 === 0 ? { bold: true } : undefined);
  await submit(seed);
  for (let k = 0; k < keystrokes; k++) await submit(new Delta().retain(1 + k).insert('k'));
  await sequencer.idle(); // snapshots are stored after their commits
  const snapshots: number[] = [];
  for (let v = version; v > 0; ) {
    const snapshot = await log.latestSnapshot('d', v);
    if (!snapshot) break;
    snapshots.unshift(snapshot.version);
    v = snapshot.version - 1;
  }
  return { log, sequencer, snapshots, seed };
}

describe('Sequencer snapshots', () => {
  it('acknowledges a commit without waiting for its snapshot, which idle() waits for', async () => {
    // A snapshot write that takes until released.
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    class SlowSnapshotsLog extends MemoryOperationLog {
      override async storeSnapshot(documentId: string, snapshot: Snapshot): Promise<void> {
        await released;
        return super.storeSnapshot(documentId, snapshot);
      }
    }
    const log = new SlowSnapshotsLog();
    log.createDocument('d');
    const sequencer = new Sequencer({ log, snapshotEvery: 1, publish: async () => {} });
    const committed = await sequencer.submit({ documentId: 'd', baseVersion: 0, delta: new Delta().insert('a'), clientId: 'c', clientSeq: 0, authorId: null });
    expect(committed.version).toBe(1);
    expect(await log.latestSnapshot('d', 1)).toBeNull();
    let idle = false;
    const idled = sequencer.idle().then(() => (idle = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    release();
    await idled;
    expect((await log.latestSnapshot('d', 1))?.content.ops).toEqual([{ insert: 'a' }]);
  });

  it('snapshots a small document every snapshotEvery versions', async () => {
    const { snapshots } = await typeInto('x'.repeat(1_000), 35);
    expect(snapshots).toEqual([10, 20, 30]);
  });

  it('snapshots a document of three 512 KiB steps every three times as many versions', async () => {
    // Version 1 too: the 1.5 MB it brings are more than a load should replay from the log.
    const { snapshots } = await typeInto('y'.repeat(1_200_000), 65);
    expect(snapshots).toEqual([1, 30, 60]);
  });

  it('snapshots after large ops once they hold a sixteenth of the document (and at least 256 KiB) since the last snapshot', async () => {
    const log = new MemoryOperationLog();
    log.createDocument('d');
    const sequencer = new Sequencer({ log, snapshotEvery: 1_000, publish: async () => {} });
    // Pastes of ~46 KB at the end: far fewer versions than snapshotEvery.
    const paste = new Delta();
    for (let k = 0; k < 2_000; k++) paste.insert(`word ${k} `, k % 4 === 0 ? { italic: true } : undefined).insert('more text ');
    const pasteBytes = opsBytes(paste.ops);
    let version = 0;
    let length = 0;
    const snapshots: number[] = [];
    for (let k = 0; k < 130; k++) {
      await sequencer.submit({ documentId: 'd', baseVersion: version, delta: new Delta().retain(length).concat(paste), clientId: 'c', clientSeq: k, authorId: null });
      version += 1;
      length += paste.length();
      await sequencer.idle();
      const latest = await log.latestSnapshot('d', version);
      if (latest?.version === version) snapshots.push(version);
    }
    // 256 KiB is 6 pastes, until a sixteenth of the document is more (past 4 MB, 90 pastes).
    expect(snapshots.slice(0, 7)).toEqual([6, 12, 18, 24, 30, 36, 42]);
    for (let k = 1; k < snapshots.length; k++) {
      const gap = snapshots[k]! - snapshots[k - 1]!;
      const due = Math.max(256 * 1024, (snapshots[k]! * pasteBytes) / 16);
      expect(gap * pasteBytes).toBeGreaterThanOrEqual(due);
      expect((gap - 1) * pasteBytes).toBeLessThan(due);
    }
    expect(snapshots.at(-1)! - snapshots.at(-2)!).toBeGreaterThan(6);
    // A fresh node loads the last snapshot and replays the few pastes after it, as the log composes.
    const fresh = new Sequencer({ log, snapshotEvery: 1_000, publish: async () => {} });
    const ops = await log.readOps('d', 0);
    const head = await fresh.head('d');
    expect(JSON.parse(head.json()).ops).toEqual(ops.reduce((doc, op) => doc.compose(op.delta), new Delta()).ops);
    expect(head.json()).toBe(JSON.stringify({ ops: head.content.ops }));
  });

  it('gives a head loaded from a stored snapshot with its UTF-8 that UTF-8 for replies, until the next op', async () => {
    const log = new MemoryOperationLog();
    log.createDocument('d');
    const sequencer = new Sequencer({ log, snapshotEvery: 1, publish: async () => {} });
    await sequencer.submit({ documentId: 'd', baseVersion: 0, delta: new Delta().insert('héllo “x”\n'), clientId: 'c', clientSeq: 0, authorId: null });
    await sequencer.idle();
    const snapshot = (await log.latestSnapshot('d', 1))!;
    // As the database log reads one back: with the bytes it decompressed.
    const utf8 = Buffer.from(snapshot.stored!.text);
    const withBytes = new MemoryOperationLog();
    withBytes.createDocument('d');
    await withBytes.append('d', await log.readOps('d', 0));
    await withBytes.storeSnapshot('d', storedSnapshot(1, { ...snapshot.stored!, utf8 }));
    const fresh = new Sequencer({ log: withBytes, snapshotEvery: 0, publish: async () => {} });
    const head = await fresh.head('d');
    expect(head.utf8()).toBe(utf8);
    expect(head.json()).toBe(snapshot.stored!.text);
    await fresh.submit({ documentId: 'd', baseVersion: 1, delta: new Delta().insert('!'), clientId: 'c', clientSeq: 1, authorId: null });
    const next = await fresh.head('d');
    expect(next.utf8()).toBeNull();
    expect(JSON.parse(next.json()).ops).toEqual([{ insert: '!héllo “x”\n' }]);
  });

  it('loads a head from the snapshot and the ops after it, as the log composes', async () => {
    const { log, snapshots } = await typeInto('z'.repeat(3_000), 25);
    expect(snapshots).toEqual([10, 20]);
    const fresh = new Sequencer({ log, snapshotEvery: 10, publish: async () => {} });
    const ops = await log.readOps('d', 0);
    const composed = ops.reduce((doc, op) => doc.compose(op.delta), new Delta());
    expect((await fresh.head('d')).content.ops).toEqual(composed.ops);
    expect(await fresh.contentAt('d', 15)).toEqual(ops.slice(0, 15).reduce((doc, op) => doc.compose(op.delta), new Delta()));
  });
});
