// Sequencer rules a client relies on (docs/protocol.md, "Submitting" and
// "Errors"): a bounded number of lost races ends in CONFLICT_RETRY_EXHAUSTED
// with nothing appended, and the same op resubmitted later commits once;
// (clientId, clientSeq) names an op, and reusing it for another edit is
// refused (sequencer-idempotency.test.ts has the rest); a delta that changes
// nothing still takes a version.
import { describe, expect, it } from 'vitest';
import { MemoryOperationLog } from './memory-log.ts';
import { Delta } from '../../../protocol/delta.ts';
import { Sequencer } from './sequencer.ts';
import type { NewOp } from './types.ts';

/** Another node that wins every race for the next `losses` appends. */
class RivalLog extends MemoryOperationLog {
  private seq = 0;
  public losses: number;
  constructor(losses: number) {
    super();
    this.losses = losses;
  }
  override async append(documentId: string, ops: NewOp[], ...rest: unknown[]) {
    if (this.losses > 0) {
      this.losses--;
      const version = (await this.readOps(documentId, 0)).length + 1;
      await super.append(documentId, [{ documentId, version, delta: new Delta().insert('r'), clientId: 'rival', clientSeq: this.seq++, authorId: null }]);
    }
    return super.append(documentId, ops, ...(rest as []));
  }
}

function setup(losses = 0) {
  const log = new RivalLog(losses);
  log.createDocument('d');
  const sequencer = new Sequencer({ log, snapshotEvery: 0, publish: async () => {}, maxRetries: 3 });
  const submit = (delta: Delta, clientId: string, clientSeq: number, baseVersion = 0) =>
    sequencer.submit({ documentId: 'd', baseVersion, delta, clientId, clientSeq, authorId: null });
  return { log, sequencer, submit };
}

describe('Sequencer, as clients see it', () => {
  it('gives up after its retries with CONFLICT_RETRY_EXHAUSTED (retryable), appending nothing of the op', async () => {
    const { log, submit } = setup(100);
    await expect(submit(new Delta().insert('mine'), 'c', 0)).rejects.toMatchObject({ code: 'CONFLICT_RETRY_EXHAUSTED', details: { retryable: true } });
    const ops = await log.readOps('d', 0);
    expect(ops.length).toBe(4); // the rival's: the first try and 3 retries
    expect(ops.every((op) => op.clientId === 'rival')).toBe(true);

    // The client resubmits the same op once the contention is over: committed once, rebased over the rival's ops.
    log.losses = 0;
    const committed = await submit(new Delta().insert('mine'), 'c', 0);
    expect(committed).toMatchObject({ version: 5, delta: { ops: [{ retain: 4 }, { insert: 'mine' }] } });
    expect(await submit(new Delta().insert('mine'), 'c', 0)).toEqual(committed);
  });

  it('returns the first commit to a resubmission of the same op, and refuses the pair reused for another delta', async () => {
    const { log, submit } = setup();
    const first = await submit(new Delta().insert('one'), 'c', 0);
    await submit(new Delta().insert('two'), 'other', 0, 1);
    expect(await submit(new Delta().insert('one'), 'c', 0)).toEqual(first);
    // Reused with another delta, at the head (the first commit is not among the ops it is rebased over).
    await expect(submit(new Delta().insert('three'), 'c', 0, 2)).rejects.toMatchObject({ code: 'BAD_USER_INPUT', details: { reason: 'IDEMPOTENCY_KEY_REUSED' } });
    // Nothing was appended for either.
    expect((await log.readOps('d', 0)).map((op) => `${op.clientId}/${op.clientSeq}`)).toEqual(['c/0', 'other/0']);
  });

  it('commits a delta that changes nothing as a version of its own', async () => {
    const { submit, sequencer } = setup();
    await submit(new Delta().insert('ab'), 'c', 0);
    expect(await submit(new Delta(), 'c', 1, 1)).toMatchObject({ version: 2, delta: { ops: [] } });
    expect(await submit(new Delta().retain(2), 'c', 2, 2)).toMatchObject({ version: 3 });
    expect((await sequencer.head('d')).content.ops).toEqual([{ insert: 'ab' }]);
  });
});
