// Sequencer.opening feeds the document previews written after this node's
// commits: it answers from the cached head without reading the log (it
// used to read the log's tail for every preview: one query per changed
// document per second), and loads a head it does not have.
import { describe, expect, it } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { MemoryOperationLog } from './memory-log.ts';
import { Sequencer } from './sequencer.ts';
import type { CommittedOp } from './types.ts';

/** Counts the log reads. */
class CountingLog extends MemoryOperationLog {
  reads = 0;
  override async readOps(documentId: string, afterVersion: number, upToVersion?: number, limit?: number): Promise<CommittedOp[]> {
    this.reads++;
    return super.readOps(documentId, afterVersion, upToVersion, limit);
  }
}

describe('Sequencer.opening', () => {
  it("reads no log for a head this node has, and is at this node's last commit", async () => {
    const log = new CountingLog();
    log.createDocument('d');
    const sequencer = new Sequencer({ log, snapshotEvery: 0, publish: async () => {} });
    await sequencer.submit({ documentId: 'd', baseVersion: 0, delta: new Delta().insert('Hello'), clientId: 'c', clientSeq: 1, authorId: null });
    await sequencer.submit({ documentId: 'd', baseVersion: 1, delta: new Delta().retain(5).insert(' world'), clientId: 'c', clientSeq: 2, authorId: null });
    const reads = log.reads;
    for (let i = 0; i < 3; i++) expect(await sequencer.opening('d', 100)).toEqual({ version: 2, ops: [{ insert: 'Hello world' }] });
    expect(log.reads).toBe(reads);
  });

  it('loads a head it does not have from the log', async () => {
    const log = new CountingLog();
    log.createDocument('d');
    await log.append('d', [{ documentId: 'd', version: 1, delta: new Delta().insert('Stored'), clientId: 'c', clientSeq: 1, authorId: null }]);
    const sequencer = new Sequencer({ log, snapshotEvery: 0, publish: async () => {} });
    expect(await sequencer.opening('d', 100)).toEqual({ version: 1, ops: [{ insert: 'Stored' }] });
  });
});
