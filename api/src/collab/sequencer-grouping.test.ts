// groupAppends (embedded: a PGlite statement costs ~0.7 ms whatever its
// size): documents whose batches are ready in the same turn append in one
// appendMany call, and each submission still settles on its own.
import { describe, expect, it } from 'vitest';
import { MemoryOperationLog } from './memory-log.ts';
import { Delta } from '../../../protocol/delta.ts';
import { Sequencer } from './sequencer.ts';
import type { AppendRequest, CommittedOp } from './types.ts';

/** An in-memory log that takes grouped appends (each request as its own append) and counts the calls. */
class GroupingLog extends MemoryOperationLog {
  groups: number[] = [];
  async appendMany(requests: readonly AppendRequest[]): Promise<Array<PromiseSettledResult<CommittedOp[]>>> {
    this.groups.push(requests.length);
    return Promise.allSettled(requests.map((r) => this.append(r.documentId, r.ops)));
  }
}

/** A GroupingLog that is not ready for the next group until `open()` (as an embedded log while a WAL sync is under way). */
class BusyLog extends GroupingLog {
  private opened!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.opened = resolve));
  ready(): Promise<void> {
    return this.gate;
  }
  open(): void {
    this.opened();
  }
}

function setup(groupAppends: boolean, log: GroupingLog = new GroupingLog()) {
  const docs = ['a', 'b', 'c', 'd', 'e'];
  for (const id of docs) log.createDocument(id);
  const sequencer = new Sequencer({ log, snapshotEvery: 0, publish: async () => {}, groupAppends });
  const submit = (documentId: string, text: string, baseVersion = 0, clientSeq = 0) =>
    sequencer.submit({ documentId, baseVersion, delta: new Delta().insert(text), clientId: `c-${text}`, clientSeq, authorId: null });
  return { log, docs, submit };
}

describe('Sequencer with groupAppends', () => {
  it('appends the batches of documents that are ready together in one call', async () => {
    const { log, docs, submit } = setup(true);
    const committed = await Promise.all(docs.map((id) => submit(id, id)));
    expect(committed.map((op) => [op.documentId, op.version])).toEqual(docs.map((id) => [id, 1]));
    expect(log.groups).toEqual([docs.length]);
    for (const id of docs) expect((await log.readOps(id, 0)).map((op) => op.delta.ops)).toEqual([[{ insert: id }]]);
  });

  it('still refuses one bad submission alone, and commits the others of the group', async () => {
    const { log, docs, submit } = setup(true);
    log.deleteDocument('c'); // its submission fails NOT_FOUND, alone
    const settled = await Promise.allSettled(docs.map((id) => submit(id, id)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('while the log is not ready, batches of later turns join the group that waits', async () => {
    const busy = new BusyLog();
    const { log, docs, submit } = setup(true, busy);
    const committed = [submit(docs[0]!, 'first'), submit(docs[1]!, 'first')];
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
    committed.push(...docs.slice(2).map((id) => submit(id, id)));
    for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(log.groups).toEqual([]);
    busy.open();
    await Promise.all(committed);
    expect(log.groups).toEqual([docs.length]);
  });

  it('appends one document at a time without it', async () => {
    const { log, docs, submit } = setup(false);
    await Promise.all(docs.map((id) => submit(id, id)));
    expect(log.groups).toEqual([]);
  });
});
