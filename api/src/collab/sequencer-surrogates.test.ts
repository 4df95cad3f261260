// A change that would cut a surrogate pair of the content in two (an insert
// between its halves, a delete or format of one half) is refused with
// BAD_USER_INPUT (reason SPLITS_SURROGATE_PAIR) after rebasing, against the
// content it would meet, before anything is written. A document that older
// versions already left holding half a pair still takes edits, and its
// snapshots (JSON text) keep the halves.
import { describe, expect, it } from 'vitest';
import { MemoryOperationLog } from './memory-log.ts';
import { Delta } from '../../../protocol/delta.ts';
import { Sequencer } from './sequencer.ts';
import { isStorable } from './surrogate-pairs.ts';
import type { AppendRequest, CommittedOp, NewOp, Snapshot } from './types.ts';

const SPLITS = { code: 'BAD_USER_INPUT', details: { reason: 'SPLITS_SURROGATE_PAIR' } };
const EMOJI = '\u{1F600}'; // two UTF-16 code units

function setup(options: { snapshotEvery?: number; log?: MemoryOperationLog; groupAppends?: boolean } = {}) {
  const log = options.log ?? new MemoryOperationLog();
  log.createDocument('d');
  const errors: string[] = [];
  const sequencer = new Sequencer({
    log,
    snapshotEvery: options.snapshotEvery ?? 0,
    publish: async () => {},
    groupAppends: options.groupAppends ?? false,
    onBackgroundError: (_error, context) => errors.push(context),
  });
  let seq = 0;
  const submit = (baseVersion: number, delta: Delta) => sequencer.submit({ documentId: 'd', baseVersion, delta, clientId: 'c', clientSeq: seq++, authorId: null });
  const state = async () => ({ ops: (await log.readOps('d', 0)).length, content: (await sequencer.head('d')).content.ops });
  return { log, sequencer, submit, state, errors };
}

describe('Sequencer and surrogate pairs', () => {
  it('refuses an insert, delete or format that starts or ends inside a pair, and changes nothing', async () => {
    const { submit, state } = setup();
    await submit(0, new Delta().insert(`a${EMOJI}b`, { bold: true })); // a=0, pair=1..2, b=3
    const before = await state();
    const splitting = [
      new Delta().retain(2).insert('x'),
      new Delta().retain(2).delete(1),
      new Delta().retain(1).delete(1),
      new Delta().retain(1).retain(1, { italic: true }),
      new Delta().retain(2).retain(2, { italic: true }),
      new Delta().retain(2).insert({ image: 'a.png' }),
    ];
    for (const delta of splitting) await expect(submit(1, delta), JSON.stringify(delta.ops)).rejects.toMatchObject(SPLITS);
    expect(await state()).toEqual(before);
    // At the pair's edges, all of these are fine.
    await submit(1, new Delta().retain(1).insert('x'));
    await submit(2, new Delta().retain(4).insert('y'));
    await submit(3, new Delta().retain(2).retain(2, { italic: true }));
    await submit(4, new Delta().retain(2).delete(2));
    expect((await state()).content).toEqual([{ insert: 'a', attributes: { bold: true } }, { insert: 'xy' }, { insert: 'b', attributes: { bold: true } }]);
  });

  it('checks the op as rebased, against the content it meets at the head', async () => {
    const { submit, state } = setup();
    await submit(0, new Delta().insert(`a${EMOJI}b`));
    await submit(1, new Delta().insert('zz'));
    const before = await state();
    // At version 1 it cuts the pair at 2; rebased over "zz" it still does, at 4.
    await expect(submit(1, new Delta().retain(2).insert('x'))).rejects.toMatchObject(SPLITS);
    expect(await state()).toEqual(before);
  });

  it('checks each op of a batch against the content after the ops planned before it', async () => {
    const { submit, state } = setup();
    await submit(0, new Delta().insert(`x${EMOJI}`));
    // One batch, all based on version 1. After the first (x deleted), the
    // second lands at 2: the end, though 2 is inside the pair at the head;
    // the third cut the pair at version 1 and, rebased to 1, still does.
    const results = await Promise.allSettled([
      submit(1, new Delta().delete(1)),
      submit(1, new Delta().retain(3).insert('y')),
      submit(1, new Delta().retain(2).insert('q')),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.version : r.reason))).toEqual([2, 3, expect.objectContaining(SPLITS)]);
    expect((await state()).content).toEqual([{ insert: `${EMOJI}y` }]);
  });

  it('takes edits on a document that older versions left holding half a pair, and snapshots it as text', async () => {
    // Snapshots are JSON text (lone halves escaped), which stores what jsonb refused.
    class RecordingLog extends MemoryOperationLog {
      snapshots: number[] = [];
      override async storeSnapshot(documentId: string, snapshot: Snapshot): Promise<void> {
        this.snapshots.push(snapshot.version);
        return super.storeSnapshot(documentId, snapshot);
      }
    }
    const log = new RecordingLog();
    const { submit, state, sequencer } = setup({ snapshotEvery: 2, log });
    // What older versions accepted: an insert between the halves of a pair.
    await log.append('d', [
      { documentId: 'd', version: 1, delta: new Delta().insert(EMOJI), clientId: 'old', clientSeq: 0, authorId: null },
      { documentId: 'd', version: 2, delta: new Delta().retain(1).insert('x'), clientId: 'old', clientSeq: 1, authorId: null },
    ]);
    expect(isStorable((await sequencer.head('d')).content)).toBe(false);
    for (let v = 2; v < 7; v++) await expect(submit(v, new Delta().insert('n'))).resolves.toMatchObject({ version: v + 1 });
    expect(await state()).toMatchObject({ ops: 7 });
    await sequencer.idle(); // snapshots are stored after their commits
    expect(log.snapshots).toEqual([4, 6]);
    // A node that loads from the snapshot sees the halves as they are.
    const fresh = new Sequencer({ log, snapshotEvery: 2, publish: async () => {} });
    expect((await fresh.head('d')).content.ops).toEqual((await state()).content);
    expect((await log.latestSnapshot('d', 7))?.content.ops).toEqual([{ insert: `nnnn\uD83Dx\uDE00` }]);
  });

  it('commits the ops whatever becomes of their snapshot (stored after the commit)', async () => {
    class NoSnapshotsLog extends MemoryOperationLog {
      override async storeSnapshot(): Promise<void> {
        throw Object.assign(new Error('value too long'), { code: '54000' });
      }
    }
    const { submit, state, errors, sequencer } = setup({ snapshotEvery: 1, log: new NoSnapshotsLog() });
    await expect(submit(0, new Delta().insert('a'))).resolves.toMatchObject({ version: 1 });
    await expect(submit(1, new Delta().insert('b'))).resolves.toMatchObject({ version: 2 });
    expect(await state()).toEqual({ ops: 2, content: [{ insert: 'ba' }] });
    await sequencer.idle();
    expect(errors).toEqual(['snapshot', 'snapshot']);
  });
});
