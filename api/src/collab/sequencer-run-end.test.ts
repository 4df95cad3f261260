// `runEnd` in the Sequencer: checked against the content at the op's base
// (not the head, which ops since may have made longer), and used to keep a
// writer's run of typing whole when another insert committed at its end.
import { describe, expect, it } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { MemoryOperationLog } from './memory-log.ts';
import { Sequencer } from './sequencer.ts';
import type { Submission } from './types.ts';

function setup() {
  const log = new MemoryOperationLog();
  log.createDocument('d');
  const sequencer = new Sequencer({ log, snapshotEvery: 0, publish: async () => {} });
  const submit = (s: Pick<Submission, 'baseVersion' | 'delta' | 'clientId' | 'clientSeq'> & { runEnd?: number }) =>
    sequencer.submit({ documentId: 'd', authorId: null, ...s });
  return { log, sequencer, submit };
}

describe('Sequencer runEnd', () => {
  it('refuses a runEnd past the end of the content at its base, even when the head is long enough, and appends nothing', async () => {
    const { log, sequencer, submit } = setup();
    await submit({ baseVersion: 0, delta: new Delta().insert('abc'), clientId: 'ann', clientSeq: 0 });
    await submit({ baseVersion: 1, delta: new Delta().insert('xyz'), clientId: 'bob', clientSeq: 0 }); // 6 characters at the head
    const late = submit({ baseVersion: 1, delta: new Delta().retain(3).insert('!'), clientId: 'ann', clientSeq: 1, runEnd: 4 });
    await expect(late).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    expect((await log.readOps('d', 0)).length).toBe(2);
    expect(await sequencer.head('d')).toMatchObject({ version: 2, length: 6 });
    // At the end of the base content it is fine.
    await expect(submit({ baseVersion: 1, delta: new Delta().retain(3).insert('!'), clientId: 'ann', clientSeq: 2, runEnd: 3 })).resolves.toMatchObject({ version: 3 });
  });

  it("puts the writer's insert at its runEnd before an insert committed there since its base, and after it without runEnd", async () => {
    for (const [runEnd, expected] of [
      [2, 'ab!|c'],
      [undefined, 'ab|!c'],
    ] as const) {
      const { log, submit } = setup();
      await submit({ baseVersion: 0, delta: new Delta().insert('abc'), clientId: 'ann', clientSeq: 0 });
      // Ann typed "ab" (her run ends at 2); Bob's "|" commits at 2 before her "!" does.
      await submit({ baseVersion: 1, delta: new Delta().retain(2).insert('|'), clientId: 'bob', clientSeq: 0 });
      await submit({ baseVersion: 1, delta: new Delta().retain(2).insert('!'), clientId: 'ann', clientSeq: 1, ...(runEnd === undefined ? {} : { runEnd }) });
      const text = (await log.readOps('d', 0)).reduce((doc, op) => doc.compose(op.delta), new Delta());
      expect(text.ops).toEqual([{ insert: expected }]);
    }
  });
});
