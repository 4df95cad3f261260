// The document-size cap in the Sequencer's planning step, in bytes
// (content-bytes.ts): measured on the rebased op against the content it
// will really meet, within one group commit too; a refused op is not
// appended and does not block the others.
import { describe, expect, it } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { MemoryOperationLog } from './memory-log.ts';
import { Sequencer } from './sequencer.ts';
import type { Submission } from './types.ts';

function setup(maxDocumentBytes: number) {
  const log = new MemoryOperationLog();
  log.createDocument('d');
  const sequencer = new Sequencer({ log, snapshotEvery: 0, publish: async () => {}, maxDocumentBytes });
  const submit = (delta: Delta, clientSeq: number, baseVersion = 0): Promise<unknown> =>
    sequencer.submit({ documentId: 'd', baseVersion, delta, clientId: 'c', clientSeq, authorId: null } satisfies Submission);
  return { log, sequencer, submit };
}

describe('Sequencer maxDocumentBytes', () => {
  it('refuses an op that would make the document larger than the cap, with BAD_USER_INPUT, and appends nothing', async () => {
    const { log, sequencer, submit } = setup(20);
    await submit(new Delta().insert('é'.repeat(10)), 0); // 10 characters, 20 bytes
    await expect(submit(new Delta().retain(10).insert('x'), 1, 1)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', details: { limit: 'documentBytes', max: 20 } });
    expect((await log.readOps('d', 0)).length).toBe(1);
    expect(await sequencer.head('d')).toMatchObject({ length: 10, bytes: 20 });
  });

  it('counts an embed by its JSON and a format by its attributes, not as one character', async () => {
    const { submit, sequencer } = setup(100);
    await submit(new Delta().insert('hello'), 0);
    await expect(submit(new Delta().retain(5).insert({ image: `https://example.com/${'a'.repeat(100)}.png` }), 1, 1)).rejects.toMatchObject({
      details: { limit: 'documentBytes' },
    });
    await expect(submit(new Delta().retain(5, { link: `https://example.com/${'a'.repeat(100)}` }), 2, 1)).rejects.toMatchObject({ details: { limit: 'documentBytes' } });
    await submit(new Delta().retain(5, { bold: true }), 3, 1);
    expect(await sequencer.head('d')).toMatchObject({ version: 2, bytes: 5 + '{"bold":true}'.length });
  });

  it('always lets ops through that do not grow the document (deletes, replacing by less)', async () => {
    const { submit, sequencer } = setup(10);
    await submit(new Delta().insert('0123456789'), 0);
    await submit(new Delta().delete(1).insert('y'), 1, 1);
    await submit(new Delta().delete(3), 2, 2);
    expect(await sequencer.head('d')).toMatchObject({ length: 7, bytes: 7 });
  });

  it('counts the ops planned before it in the same group commit, after rebasing', async () => {
    const { submit, log } = setup(10);
    // Both based on version 0 and queued together: each fits alone, not both.
    const first = submit(new Delta().insert('abcdef'), 0);
    const second = submit(new Delta().insert('ghijk'), 1);
    const third = submit(new Delta().insert('gh'), 2);
    await expect(first).resolves.toMatchObject({ version: 1 });
    await expect(second).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(third).resolves.toMatchObject({ version: 2 });
    expect((await log.readOps('d', 0)).map((op) => op.version)).toEqual([1, 2]);
  });
});
