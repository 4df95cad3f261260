// A (clientId, clientSeq) already committed answers with its first commit
// only when the same author submits the same edit again (replay.ts): its
// first submission, or the client's rebased copy of it after a reconnect.
// Any other use of the pair is BAD_USER_INPUT (reason
// IDEMPOTENCY_KEY_REUSED) and changes nothing, whether the first op is in
// the node's recent ops, in the same batch, or only in the log.
import { describe, expect, it } from 'vitest';
import { MemoryOperationLog } from './memory-log.ts';
import { Delta } from '../../../protocol/delta.ts';
import { rebase } from '../../../protocol/rebase.ts';
import { Sequencer } from './sequencer.ts';

const REUSED = { code: 'BAD_USER_INPUT', details: { reason: 'IDEMPOTENCY_KEY_REUSED' } };

function setup(recentWindow?: number) {
  const log = new MemoryOperationLog();
  log.createDocument('d');
  const sequencer = new Sequencer({ log, snapshotEvery: 0, publish: async () => {}, ...(recentWindow === undefined ? {} : { recentWindow }) });
  const submit = (authorId: string, baseVersion: number, delta: Delta, clientId = 'x', clientSeq = 8) =>
    sequencer.submit({ documentId: 'd', baseVersion, delta, clientId, clientSeq, authorId });
  const state = async () => ({ log: (await log.readOps('d', 0)).map((op) => [op.version, op.authorId, op.delta.ops]), content: (await sequencer.head('d')).content.ops });
  return { log, sequencer, submit, state };
}

describe('Sequencer idempotency keys', () => {
  it("refuses another author's reuse of a committed pair, and changes nothing", async () => {
    const { submit, state } = setup();
    const mine = await submit('bob', 0, new Delta().insert('B'));
    const before = await state();
    await expect(submit('ann', 0, new Delta().insert('A'))).rejects.toMatchObject(REUSED);
    // Even with the very same delta: it is Bob's op, not Ann's commit.
    await expect(submit('ann', 0, new Delta().insert('B'))).rejects.toMatchObject(REUSED);
    expect(await state()).toEqual(before);
    // Bob's own replay still gets his op.
    expect(await submit('bob', 0, new Delta().insert('B'))).toEqual(mine);
  });

  it('refuses the same author reusing a pair for another delta, or for the same delta on a later base', async () => {
    const { submit, state } = setup();
    await submit('ann', 0, new Delta().insert('one'));
    await submit('ann', 1, new Delta().retain(3).insert('two'), 'x', 9);
    const before = await state();
    await expect(submit('ann', 0, new Delta().insert('uno'))).rejects.toMatchObject(REUSED);
    // The same delta based after the first commit is another edit (it would land elsewhere).
    await expect(submit('ann', 1, new Delta().insert('one'))).rejects.toMatchObject(REUSED);
    await expect(submit('ann', 2, new Delta().insert('one'))).rejects.toMatchObject(REUSED);
    expect(await state()).toEqual(before);
  });

  it('returns the first commit to the client that resubmits its op rebased over the remote ops it saw meanwhile', async () => {
    const { submit, state } = setup();
    await submit('bob', 0, new Delta().insert('abc'), 'setup', 0);
    // Ann sends P at version 1; Bob's op commits first; P commits at 3, rebased.
    const p = new Delta().retain(3).insert('!');
    const bobs = await submit('bob', 1, new Delta().insert('>'), 'bob', 0);
    const first = await submit('ann', 1, p);
    expect(first).toMatchObject({ version: 3, delta: { ops: [{ retain: 4 }, { insert: '!' }] } });
    const before = await state();
    // Her connection dropped after she saw Bob's op but before her ack: her
    // client rebased P over it (as ot-client.ts does) and resends that at 2.
    const rebased = rebase(p, [bobs]);
    expect(await submit('ann', 2, rebased)).toEqual(first);
    // And the original, as first sent, still gets it too.
    expect(await submit('ann', 1, p)).toEqual(first);
    expect(await state()).toEqual(before);
  });

  it('compares with the first op in the log when the node no longer holds it in its recent ops', async () => {
    const { submit, state } = setup(1);
    const first = await submit('ann', 0, new Delta().insert('a'));
    for (let v = 1; v <= 4; v++) await submit('bob', v, new Delta().insert('b'), 'bob', v);
    const before = await state();
    await expect(submit('bob', 0, new Delta().insert('a'))).rejects.toMatchObject(REUSED);
    await expect(submit('ann', 0, new Delta().insert('z'))).rejects.toMatchObject(REUSED);
    expect(await submit('ann', 0, new Delta().insert('a'))).toEqual(first);
    expect(await state()).toEqual(before);
  });

  it('refuses a pair first committed at or before the base (found through the log’s unique key)', async () => {
    const { submit, state } = setup();
    await submit('bob', 0, new Delta().insert('B'));
    const before = await state();
    // Based on version 1, Bob's op is not among the ops it is rebased over:
    // only the append's unique (clientId, clientSeq) finds it.
    await expect(submit('ann', 1, new Delta().insert('A'))).rejects.toMatchObject(REUSED);
    await expect(submit('bob', 1, new Delta().insert('B'))).rejects.toMatchObject(REUSED);
    expect(await state()).toEqual(before);
  });

  it('in one batch: the same op twice commits once; the pair reused by another author or delta is refused', async () => {
    const { submit, state } = setup();
    await submit('ann', 0, new Delta().insert('abc'), 'setup', 0);
    const results = await Promise.allSettled([
      submit('bob', 1, new Delta().retain(1).insert('B')),
      submit('bob', 1, new Delta().retain(1).insert('B')),
      submit('ann', 1, new Delta().retain(1).insert('B')),
      submit('bob', 1, new Delta().retain(2).insert('B')),
      submit('ann', 1, new Delta().insert('A'), 'ann', 0),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.version : r.reason))).toEqual([2, 2, expect.objectContaining(REUSED), expect.objectContaining(REUSED), 3]);
    expect((await state()).content).toEqual([{ insert: 'AaBbc' }]);
  });
  it('answers any author with the first commit of a key marked anyAuthor (revertRun), in the same batch, from recent ops and from the log', async () => {
    const { log, sequencer, state } = setup(1);
    const revert = (authorId: string, baseVersion: number, delta: Delta, requestHash = 'revert-r1') =>
      sequencer.submit({ documentId: 'd', baseVersion, delta, clientId: 'revert-r1', clientSeq: 0, authorId, requestHash, anyAuthor: true });
    await sequencer.submit({ documentId: 'd', baseVersion: 0, delta: new Delta().insert('abc'), clientId: 'setup', clientSeq: 0, authorId: 'ann' });
    // Two people at once, in one batch: one commit.
    const [first, twin] = await Promise.all([revert('ann', 1, new Delta().delete(1)), revert('bob', 1, new Delta().delete(1))]);
    expect(twin).toEqual(first);
    // Computed at another base, after more ops (older than the node's window of recent ops, so read from the log).
    await sequencer.submit({ documentId: 'd', baseVersion: 2, delta: new Delta().insert('>'), clientId: 'setup', clientSeq: 1, authorId: 'ann' });
    await sequencer.submit({ documentId: 'd', baseVersion: 3, delta: new Delta().insert('>'), clientId: 'setup', clientSeq: 2, authorId: 'ann' });
    expect(await revert('carl', 1, new Delta().delete(1))).toEqual(first);
    expect(await revert('carl', 4, new Delta().retain(2).delete(1))).toEqual(first);
    const before = await state();
    expect(before.log).toHaveLength(4);
    // Another request under the same key is still refused.
    await expect(revert('bob', 4, new Delta().delete(1), 'other')).rejects.toMatchObject(REUSED);
    expect(await state()).toEqual(before);
    expect(await log.findByClient('d', 'revert-r1', 0)).toMatchObject({ version: 2, authorId: 'ann' });
  });
});
