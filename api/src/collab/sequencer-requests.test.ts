// Submissions made for editDocument: keyed by a request hash (a retry is the
// same request when its hash is, whatever its base and delta), and guarded
// by requiredVersion (CONFLICT unless the op lands right after it), checked
// in the plan itself so that another writer landing first is caught.
import { describe, expect, it } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { MemoryOperationLog } from './memory-log.ts';
import { Sequencer } from './sequencer.ts';
import type { Submission } from './types.ts';

const REUSED = { code: 'BAD_USER_INPUT', details: { reason: 'IDEMPOTENCY_KEY_REUSED' } };

function setup() {
  const log = new MemoryOperationLog();
  log.createDocument('d');
  const sequencer = new Sequencer({ log, snapshotEvery: 0, publish: async () => {} });
  const submit = (s: Partial<Submission> & { delta: Delta }) =>
    sequencer.submit({ documentId: 'd', baseVersion: 0, clientId: 'edit-k', clientSeq: 0, authorId: 'ann', ...s });
  const versions = async () => (await log.readOps('d', 0)).map((op) => [op.version, op.clientId, op.tokenId ?? null, op.runId ?? null]);
  return { sequencer, submit, versions };
}

describe('Sequencer: editDocument requests', () => {
  it('answers a request resubmitted at a later base with its first commit, and refuses another request under its key', async () => {
    const { submit, versions } = setup();
    const first = await submit({ delta: new Delta().insert('Hi'), requestHash: 'h1', tokenId: 't1', runId: 'r' });
    expect(first).toMatchObject({ version: 1, tokenId: 't1', runId: 'r', requestHash: 'h1' });
    await submit({ baseVersion: 1, delta: new Delta().insert('>'), clientId: 'typist' });
    // Rebuilt at the head by a retry: another base, another delta, the same request.
    expect(await submit({ baseVersion: 2, delta: new Delta().retain(1).insert('Hi'), requestHash: 'h1', tokenId: 't1', runId: 'r' })).toEqual(first);
    await expect(submit({ baseVersion: 2, delta: new Delta().insert('Yo'), requestHash: 'h2', tokenId: 't1' })).rejects.toMatchObject(REUSED);
    // The same user through another token (or in person) is another actor.
    await expect(submit({ baseVersion: 2, delta: new Delta().insert('Hi'), requestHash: 'h1', tokenId: 't2' })).rejects.toMatchObject(REUSED);
    await expect(submit({ baseVersion: 2, delta: new Delta().insert('Hi'), requestHash: 'h1' })).rejects.toMatchObject(REUSED);
    expect(await versions()).toEqual([
      [1, 'edit-k', 't1', 'r'],
      [2, 'typist', null, null],
    ]);
  });

  it('commits one op for the same request twice in one batch', async () => {
    const { submit, versions } = setup();
    const [a, b] = await Promise.all([submit({ delta: new Delta().insert('x'), requestHash: 'h' }), submit({ delta: new Delta().insert('x'), requestHash: 'h' })]);
    expect(b).toEqual(a);
    expect(await versions()).toHaveLength(1);
  });

  it('refuses with CONFLICT (and the head version) when another op lands before one that required the head', async () => {
    const { submit, versions } = setup();
    await submit({ delta: new Delta().insert('abc'), clientId: 'setup' });
    // Both required version 1; they meet in one batch: the second finds the head moved.
    const [won, lost] = await Promise.allSettled([
      submit({ baseVersion: 1, delta: new Delta().insert('1'), clientId: 'a', requiredVersion: 1 }),
      submit({ baseVersion: 1, delta: new Delta().insert('2'), clientId: 'b', requiredVersion: 1 }),
    ]);
    expect(won).toMatchObject({ status: 'fulfilled', value: { version: 2 } });
    expect(lost).toMatchObject({ status: 'rejected', reason: { code: 'CONFLICT', details: { headVersion: 2 } } });
    expect(await versions()).toEqual([
      [1, 'setup', null, null],
      [2, 'a', null, null],
    ]);
  });
});
