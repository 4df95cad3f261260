// What the Sequencer does with the bus: a commit is delivered to this node's
// streams and acknowledged without waiting for the publish (the op is
// durable by then), while the document's next batch waits for it, so a
// slow bus slows commits instead of piling publishes up; a failed publish
// is reported, never turned into a failed submission.
import { describe, expect, it } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { MemoryOperationLog } from './memory-log.ts';
import { Sequencer } from './sequencer.ts';
import type { CommittedOp, Submission } from './types.ts';

function setup() {
  const log = new MemoryOperationLog();
  log.createDocument('d');
  const events: string[] = [];
  const publishes: Array<{ op: CommittedOp; settle: (error?: Error) => void }> = [];
  const errors: unknown[] = [];
  const sequencer = new Sequencer({
    log,
    snapshotEvery: 0,
    deliver: (ops) => events.push(`deliver ${ops.map((op) => op.version).join(',')}`),
    publish: (op) =>
      new Promise<void>((resolve, reject) => {
        events.push(`publish ${op.version}`);
        publishes.push({ op, settle: (error) => (error ? reject(error) : resolve()) });
      }),
    onBackgroundError: (error) => errors.push(error),
  });
  const submit = (clientSeq: number, baseVersion: number) =>
    sequencer.submit({ documentId: 'd', baseVersion, delta: new Delta().insert(String(clientSeq)), clientId: 'c', clientSeq, authorId: null } satisfies Submission).then((op) => {
      events.push(`ack ${op.version}`);
      return op;
    });
  return { log, sequencer, events, publishes, errors, submit };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** `promise`'s value if it settles within a second (it takes a few event-loop turns); fails then (no 30 s test timeout). */
async function soon<T>(promise: Promise<T>): Promise<T> {
  const late = Symbol('late');
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([promise, new Promise<typeof late>((resolve) => (timer = setTimeout(() => resolve(late), 1_000)))]);
  clearTimeout(timer);
  if (result === late) throw new Error('not settled while the publish was still under way');
  return result as T;
}

describe('Sequencer and the bus', () => {
  it('acknowledges a commit while its publish is still under way, and commits the next batch only after it', async () => {
    const { log, events, publishes, submit } = setup();
    await expect(soon(submit(0, 0))).resolves.toMatchObject({ version: 1 });
    expect(events).toEqual(['deliver 1', 'publish 1', 'ack 1']);

    const second = submit(1, 1);
    for (let i = 0; i < 5; i++) await turn();
    expect((await log.readOps('d', 0)).map((op) => op.version)).toEqual([1]); // waiting for publish 1
    publishes[0]!.settle();
    await expect(second).resolves.toMatchObject({ version: 2 });
    expect(events.slice(3)).toEqual(['deliver 2', 'publish 2', 'ack 2']);
    publishes[1]!.settle();
  });

  it('reports a failed publish and still acknowledges the op, which stays committed', async () => {
    const { log, sequencer, publishes, errors, submit } = setup();
    await expect(soon(submit(0, 0))).resolves.toMatchObject({ version: 1 });
    publishes[0]!.settle(new Error('bus down'));
    await sequencer.idle();
    expect(errors).toEqual([expect.objectContaining({ message: 'bus down' })]);
    expect((await log.readOps('d', 0)).map((op) => op.version)).toEqual([1]);
  });
});
