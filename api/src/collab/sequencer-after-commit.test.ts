// Sequencer.afterCommit: the moment after a commit, for periodic statements
// that should not sit in front of the next commit (embedded PGlite runs
// one statement at a time on the node's thread).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { MemoryOperationLog } from './memory-log.ts';
import { Sequencer } from './sequencer.ts';

function setup() {
  const log = new MemoryOperationLog();
  log.createDocument('d');
  const delivered: number[] = [];
  const sequencer = new Sequencer({ log, snapshotEvery: 0, publish: async () => {}, deliver: (ops) => delivered.push(...ops.map((op) => op.version)) });
  return { sequencer, delivered };
}

describe('Sequencer.afterCommit', () => {
  it('resolves after the next commit has answered its submitter and handed out its ops', async () => {
    const { sequencer, delivered } = setup();
    const order: string[] = [];
    const slot = sequencer.afterCommit(60_000).then(() => order.push(`slot after ${delivered.join(',')}`));
    const ack = sequencer.submit({ documentId: 'd', baseVersion: 0, delta: new Delta().insert('a'), clientId: 'c', clientSeq: 0, authorId: null }).then(() => order.push('ack'));
    await Promise.all([slot, ack]);
    expect(order).toEqual(['ack', 'slot after 1']);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('resolves after maxWaitMs when no commit comes, not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { sequencer } = setup();
    let resolved = false;
    const slot = sequencer.afterCommit(50).then(() => (resolved = true));
    await vi.advanceTimersByTimeAsync(49);
    expect(resolved).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await slot;
    expect(resolved).toBe(true);
  });
});
