// The worked example of docs/protocol.md ("Two inserts at one position"),
// step by step: the server's rebase and the client state machine must pick
// the same order, or the two sides diverge.
import { describe, expect, it } from 'vitest';
import { OtClient } from '../../web/src/sync/ot-client.ts';
import { MemoryOperationLog } from '../src/collab/memory-log.ts';
import { Delta } from '../../protocol/delta.ts';
import { rebase } from '../../protocol/rebase.ts';
import { Sequencer } from '../src/collab/sequencer.ts';

describe('two inserts at one position (docs/protocol.md worked example)', () => {
  // Version 1 is "ab\n". Ann and Bob both insert at index 1, both at baseVersion 1.
  const ann = () => new Delta().retain(1).insert('X');
  const bob = () => new Delta().retain(1).insert('Y');

  it('server: the op committed first keeps its place; the later one is shifted after it', async () => {
    const log = new MemoryOperationLog();
    log.createDocument('d');
    const sequencer = new Sequencer({ log, snapshotEvery: 0, publish: async () => {} });
    await sequencer.submit({ documentId: 'd', baseVersion: 0, delta: new Delta().insert('ab\n'), clientId: 'setup', clientSeq: 0, authorId: null });
    const v2 = await sequencer.submit({ documentId: 'd', baseVersion: 1, delta: ann(), clientId: 'ann', clientSeq: 0, authorId: null });
    const v3 = await sequencer.submit({ documentId: 'd', baseVersion: 1, delta: bob(), clientId: 'bob', clientSeq: 0, authorId: null });

    expect(v2).toMatchObject({ version: 2, delta: { ops: [{ retain: 1 }, { insert: 'X' }] } });
    // committed.transform(incoming, true): X is already in the log, so Y goes after it.
    expect(v3).toMatchObject({ version: 3, delta: { ops: [{ retain: 2 }, { insert: 'Y' }] } });
    expect(ann().transform(bob(), true).ops).toEqual(v3.delta.ops);
    expect(rebase(bob(), [v2]).ops).toEqual(v3.delta.ops);
    expect((await sequencer.head('d')).content.ops).toEqual([{ insert: 'aXYb\n' }]);
  });

  it('clients: Ann gets her ack, then Y after X; Bob transforms X before his pending Y; both read "aXYb\\n"', () => {
    const stream = [
      { version: 2, delta: ann(), clientId: 'ann', clientSeq: 0 },
      { version: 3, delta: new Delta().retain(2).insert('Y'), clientId: 'bob', clientSeq: 0 },
    ];
    const clients = [
      { ot: new OtClient('ann', 1), doc: new Delta().insert('ab\n'), edit: ann() },
      { ot: new OtClient('bob', 1), doc: new Delta().insert('ab\n'), edit: bob() },
    ];
    for (const c of clients) {
      c.doc = c.doc.compose(c.edit);
      expect(c.ot.applyLocal(c.edit)).toMatchObject({ baseVersion: 1, clientSeq: 0 });
    }
    const [annClient, bobClient] = clients;

    // Bob, awaiting his Y, receives Ann's X. His pending op becomes what the
    // server will commit (inflight.transform priority: the remote op wins),
    // and X is shifted over nothing: it lands before his Y.
    const { apply } = bobClient!.ot.receive(stream[0]!);
    expect(apply!.ops).toEqual([{ retain: 1 }, { insert: 'X' }]);
    bobClient!.doc = bobClient!.doc.compose(apply!);
    expect(bobClient!.ot.pending!.delta.ops).toEqual(stream[1]!.delta.ops);
    expect(bobClient!.ot.pending!.baseVersion).toBe(2);

    for (const c of clients) {
      for (const op of stream) {
        if (op.version <= c.ot.version) continue;
        const { apply: change } = c.ot.receive(op);
        if (change) c.doc = c.doc.compose(change);
      }
      expect(c.ot.state).toBe('synchronised');
      expect(c.doc.ops).toEqual([{ insert: 'aXYb\n' }]);
    }
    expect(annClient!.ot.version).toBe(3);
  });

  it('would diverge with the priorities the other way round', () => {
    // Bob applying X with priority to his own pending Y puts X after Y…
    const wrong = new Delta().insert('aYb\n').compose(bob().transform(ann(), true));
    expect(wrong.ops).toEqual([{ insert: 'aYXb\n' }]);
    // …while the server committed "aXYb\n".
    const right = new Delta().insert('aYb\n').compose(bob().transform(ann(), false));
    expect(right.ops).toEqual([{ insert: 'aXYb\n' }]);
  });

  it('moves a caret at the insertion point after the inserted text (transformPosition, priority false)', () => {
    // A presence at version 1, index 1 (between "a" and "b"), seen by a client at version 2.
    expect(ann().transformPosition(1)).toBe(2);
    expect(ann().transformPosition(1, true)).toBe(1);
    expect(ann().transformPosition(0)).toBe(0);
  });
});
