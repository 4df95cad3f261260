// When the log refuses some authors at commit (their access changed after
// this node checked it), the sequencer refuses exactly their submissions,
// each with the error the access check would give now, and commits the
// others in the same turn, rebased as if the refused ones never came.
import { describe, expect, it } from 'vitest';
import { MemoryOperationLog } from './memory-log.ts';
import { Delta } from '../../../protocol/delta.ts';
import { Sequencer } from './sequencer.ts';
import { AppendConflict, type NewOp, type WriteRefusal } from './types.ts';

/** A log that knows, like the database's, who may no longer write. */
class GuardedLog extends MemoryOperationLog {
  private readonly refusals: WriteRefusal[];
  constructor(refusals: WriteRefusal[]) {
    super();
    this.refusals = refusals;
  }
  override async append(documentId: string, ops: NewOp[]) {
    const refused = this.refusals.filter((r) => ops.some((op) => op.authorId === r.authorId && (op.sessionId ?? null) === r.sessionId));
    if (refused.length > 0) throw new AppendConflict('access', refused);
    return super.append(documentId, ops);
  }
}

describe('Sequencer, when the log refuses an author', () => {
  it('refuses only their submissions, with the right code, and commits the rest together', async () => {
    const log = new GuardedLog([
      { authorId: 'viewer', sessionId: 's-viewer', reason: 'role', role: 'VIEWER' },
      { authorId: 'gone', sessionId: 's-gone', reason: 'not-member' },
      { authorId: 'editor', sessionId: 's-revoked', reason: 'session' },
    ]);
    log.createDocument('d');
    const sequencer = new Sequencer({ log, snapshotEvery: 0, publish: async () => {} });
    const submit = (authorId: string, sessionId: string, text: string) =>
      sequencer.submit({ documentId: 'd', baseVersion: 0, delta: new Delta().insert(text), clientId: `${authorId}-${sessionId}`, clientSeq: 0, authorId, sessionId });

    // One turn, one batch: the refused ones sit between the accepted ones.
    const results = await Promise.allSettled([
      submit('editor', 's-live', 'a'),
      submit('viewer', 's-viewer', 'b'),
      submit('gone', 's-gone', 'c'),
      submit('editor', 's-revoked', 'd'),
      submit('owner', 's-owner', 'e'),
    ]);
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value.version : (r.reason as { code: string }).code))).toEqual([1, 'FORBIDDEN', 'NOT_FOUND', 'UNAUTHENTICATED', 2]);
    expect(results[1]).toMatchObject({ reason: { details: { role: 'VIEWER' } } });
    // The log holds the accepted ones only, the second rebased over the first alone.
    const ops = await log.readOps('d', 0);
    expect(ops.map((op) => [op.authorId, op.delta.ops])).toEqual([
      ['editor', [{ insert: 'a' }]],
      ['owner', [{ retain: 1 }, { insert: 'e' }]],
    ]);
    expect((await sequencer.head('d')).content.ops).toEqual([{ insert: 'ae' }]);
  });
});
