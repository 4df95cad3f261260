// The document-size cap in the Sequencer's planning step: measured on the
// rebased op against the length it will really meet, within one group
// commit too; a refused op is not appended and does not block the others.
import { describe, expect, it } from 'vitest';
import { Delta } from './quill-delta.js';
import { MemoryOperationLog } from './memory-log.js';
import { Sequencer } from './sequencer.js';
import type { Submission } from './types.js';

function setup(maxDocumentLength: number) {
  const log = new MemoryOperationLog();
  log.createDocument('d');
  const sequencer = new Sequencer({ log, snapshotEvery: 0, publish: async () => {}, maxDocumentLength });
  const submit = (delta: Delta, clientSeq: number, baseVersion = 0): Promise<unknown> =>
    sequencer.submit({ documentId: 'd', baseVersion, delta, clientId: 'c', clientSeq, authorId: null } satisfies Submission);
  return { log, sequencer, submit };
}

describe('Sequencer maxDocumentLength', () => {
  it('refuses an op that would make the document longer than the cap, with BAD_USER_INPUT, and appends nothing', async () => {
    const { log, sequencer, submit } = setup(10);
    await submit(new Delta().insert('0123456789'), 0);
    await expect(submit(new Delta().retain(10).insert('x'), 1, 1)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', details: { limit: 'documentLength', max: 10 } });
    expect((await log.readOps('d', 0)).length).toBe(1);
    expect((await sequencer.head('d')).length).toBe(10);
  });

  it('always lets ops through that do not grow the document (deletes, formatting, replacing)', async () => {
    const { submit, sequencer } = setup(10);
    await submit(new Delta().insert('0123456789'), 0);
    await submit(new Delta().retain(5, { bold: true }), 1, 1);
    await submit(new Delta().delete(1).insert('y'), 2, 2);
    await submit(new Delta().delete(3), 3, 3);
    expect((await sequencer.head('d')).length).toBe(7);
  });

  it('counts the ops planned before it in the same group commit, after rebasing', async () => {
    const { submit, log } = setup(10);
    // Both based on version 0 and queued together: each fits alone, not both.
    const first = submit(new Delta().insert('abcdef'), 0);
    const second = submit(new Delta().insert('ghijk'), 1);
    await expect(first).resolves.toMatchObject({ version: 1 });
    await expect(second).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect((await log.readOps('d', 0)).map((op) => op.version)).toEqual([1]);
  });
});
