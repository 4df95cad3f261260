// One document written through two nodes (issue 20 item 2): two sequencers
// on one log stand for two api nodes on one database, each telling the
// other about its commits as the bus does (Sequencer.observe). With
// lockedCommits, once a node has seen the other write (a lost race, or the
// other's op on the feed), its commits take the log's write lock and plan
// on top of the ops read there: no more lost races, nothing applied twice,
// every submission answered. A node writing alone never takes the lock.
import { describe, expect, it } from 'vitest';
import { MemoryOperationLog } from './memory-log.ts';
import { Delta } from '../../../protocol/delta.ts';
import { Sequencer } from './sequencer.ts';
import type { AppendRequest, CommittedOp } from './types.ts';

/** Counts the locked appends. */
class CountingLog extends MemoryOperationLog {
  locked = 0;
  override appendLocked(documentId: string, knownVersion: number, build: (missed: CommittedOp[]) => Promise<AppendRequest | null>) {
    this.locked++;
    return super.appendLocked(documentId, knownVersion, build);
  }
}

function twoNodes(lockedCommits: boolean) {
  const log = new CountingLog();
  log.createDocument('d');
  let retries = 0;
  const nodes: Sequencer[] = [];
  for (let i = 0; i < 2; i++) {
    nodes.push(
      new Sequencer({
        log,
        snapshotEvery: 10,
        lockedCommits,
        // The bus: every commit reaches the other node, a turn later.
        publish: async (op) => void setImmediate(() => nodes[1 - i]!.observe(op)),
        metrics: { batchCommitted: () => {}, retried: () => retries++ },
      }),
    );
  }
  return { log, nodes, retries: () => retries };
}

/** `clients` writers per node, each `rounds` times: all submit at once, then each rebases on what it got back. */
async function writeThroughBoth(nodes: Sequencer[], clients: number, rounds: number) {
  const writers = Array.from({ length: clients * nodes.length }, (_, i) => ({ node: nodes[i % nodes.length]!, id: `w${i}`, base: 0 }));
  const answers: CommittedOp[] = [];
  for (let round = 0; round < rounds; round++) {
    const committed = await Promise.all(
      writers.map((w) => w.node.submit({ documentId: 'd', baseVersion: w.base, delta: new Delta().insert(`${w.id}.${round} `), clientId: w.id, clientSeq: round, authorId: null })),
    );
    committed.forEach((op, i) => (writers[i]!.base = op.version));
    answers.push(...committed);
  }
  return answers;
}

async function expectExactLog(log: MemoryOperationLog, answers: CommittedOp[]) {
  const ops = await log.readOps('d', 0);
  expect(ops.map((op) => op.version)).toEqual(ops.map((_, i) => i + 1));
  expect(new Set(ops.map((op) => `${op.clientId}/${op.clientSeq}`)).size).toBe(ops.length);
  expect(ops.length).toBe(answers.length);
  // Every answer is the op in the log at its version.
  for (const a of answers) expect(ops[a.version - 1]).toMatchObject({ clientId: a.clientId, clientSeq: a.clientSeq, delta: a.delta });
  return ops;
}

describe('a document written through two nodes (lockedCommits)', () => {
  it('loses at most the first race, then commits under the lock; the log is gap-free and exactly-once, and both nodes converge', async () => {
    const { log, nodes, retries } = twoNodes(true);
    const answers = await writeThroughBoth(nodes, 4, 12);
    const ops = await expectExactLog(log, answers);
    expect(retries()).toBeLessThanOrEqual(1);
    expect(log.locked).toBeGreaterThan(0);
    // Each node's head is the log's content (nothing applied twice or missed).
    const content = ops.reduce((doc, op) => doc.compose(op.delta), new Delta());
    for (const node of nodes) expect((await node.head('d')).content).toEqual(content);
    for (const node of nodes) expect(node.heads.peek('d')!.content).toEqual(content);
  });

  it('races and retries without it (what the lock removes)', async () => {
    const { log, nodes, retries } = twoNodes(false);
    const answers = await writeThroughBoth(nodes, 4, 12);
    await expectExactLog(log, answers);
    expect(log.locked).toBe(0);
    expect(retries()).toBeGreaterThan(1);
  });

  it('answers a resubmission through the other node with the first commit', async () => {
    const { log, nodes } = twoNodes(true);
    await writeThroughBoth(nodes, 2, 3); // both nodes now write under the lock
    const head = (await nodes[0]!.head('d')).version;
    const submission = { documentId: 'd', baseVersion: head, delta: new Delta().insert('once'), clientId: 'tab', clientSeq: 7, authorId: null };
    const [first, other] = await Promise.all([
      nodes[0]!.submit(submission),
      nodes[1]!.submit({ ...submission, delta: new Delta().insert('x'), clientId: 'other', clientSeq: 0 }),
    ]);
    const again = await nodes[1]!.submit(submission);
    expect(again).toEqual(first);
    const ops = await log.readOps('d', 0);
    expect(ops.filter((op) => op.clientId === 'tab')).toHaveLength(1);
    expect(ops.map((op) => op.version)).toContain(other.version);
  });

  it('answers NOT_FOUND to every submission of a document deleted while its commits take the lock', async () => {
    const { log, nodes } = twoNodes(true);
    await writeThroughBoth(nodes, 2, 3);
    log.deleteDocument('d');
    const settled = await Promise.allSettled([0, 1, 2].map((i) => nodes[0]!.submit({ documentId: 'd', baseVersion: 0, delta: new Delta().insert('late'), clientId: `late-${i}`, clientSeq: 0, authorId: null })));
    for (const s of settled) expect(s).toMatchObject({ status: 'rejected', reason: { code: 'NOT_FOUND' } });
  });

  it('never takes the lock for a document written through this node alone', async () => {
    const log = new CountingLog();
    log.createDocument('d');
    const node = new Sequencer({ log, snapshotEvery: 10, lockedCommits: true, publish: async () => {} });
    const answers = await writeThroughBoth([node], 8, 10);
    await expectExactLog(log, answers);
    expect(log.locked).toBe(0);
  });
});
