// Property: many clients editing rich text at once, with submissions,
// acks and remote ops delivered in random interleavings (including lost
// connections and resubmissions), always converge on the server's content.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OtClient, type OutgoingOp } from '../../web/src/sync/ot-client.ts';
import { MemoryOperationLog } from '../src/collab/memory-log.ts';
import { Delta } from '../../protocol/delta.ts';
import { Sequencer } from '../src/collab/sequencer.ts';
import type { CommittedOp } from '../src/collab/types.ts';

const DOC = 'doc-1';

/** A random edit, interpreted against whatever the local document is then. */
const editArb = fc.record({
  kind: fc.constantFrom('insert', 'insert', 'delete', 'format'),
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  span: fc.integer({ min: 1, max: 4 }),
  text: fc.constantFrom('a', 'bc', 'déf', '\n', 'xyz '),
  attr: fc.constantFrom<Record<string, unknown> | undefined>(undefined, { bold: true }, { italic: true }, { bold: null }, { header: 1 }),
});
type Edit = typeof editArb extends fc.Arbitrary<infer T> ? T : never;

function toDelta(edit: Edit, length: number): Delta | null {
  const pos = Math.min(length, Math.floor(edit.at * (length + 1)));
  const d = new Delta().retain(pos);
  if (edit.kind === 'insert') return d.insert(edit.text, edit.attr as never);
  const span = Math.min(edit.span, length - pos);
  if (span <= 0) return null;
  if (edit.kind === 'delete') return d.delete(span);
  return edit.attr ? d.retain(span, edit.attr as never) : null;
}

const actionArb = fc.oneof(
  { arbitrary: fc.record({ type: fc.constant('edit' as const), client: fc.nat(), edit: editArb }), weight: 4 },
  { arbitrary: fc.record({ type: fc.constant('send' as const), client: fc.nat() }), weight: 3 },
  { arbitrary: fc.record({ type: fc.constant('deliver' as const), client: fc.nat(), count: fc.integer({ min: 1, max: 3 }) }), weight: 3 },
  { arbitrary: fc.record({ type: fc.constant('settle' as const) }), weight: 1 },
  { arbitrary: fc.record({ type: fc.constant('reconnect' as const), client: fc.nat() }), weight: 1 },
);

interface SimClient {
  ot: OtClient;
  doc: Delta;
  outbox: OutgoingOp[];
}

type Action = typeof actionArb extends fc.Arbitrary<infer A> ? A : never;

/**
 * Another node writing to the same log: before every `every`-th append it
 * slips in an op of its own, so the sequencer loses the race and must
 * refresh, re-rebase and retry.
 */
class RacingLog extends MemoryOperationLog {
  private appends = 0;
  private foreignSeq = 0;
  private readonly every: number;
  constructor(every: number) {
    super();
    this.every = every;
  }
  override async append(...args: Parameters<MemoryOperationLog['append']>) {
    const [documentId] = args;
    if (this.every > 0 && ++this.appends % this.every === 0) {
      const version = (await this.readOps(documentId, 0)).length + 1;
      await super.append(documentId, [{ documentId, version, delta: new Delta().insert('Z'), clientId: 'other-node', clientSeq: this.foreignSeq++, authorId: null }]);
    }
    return super.append(...args);
  }
}

async function simulate(clientCount: number, actions: Action[], snapshotEvery: number, raceEvery = 0) {
  const log = new RacingLog(raceEvery);
  log.createDocument(DOC);
  const committed: CommittedOp[] = [];
  const sequencer = new Sequencer({ log, snapshotEvery, publish: async () => {}, recentWindow: 4, maxRetries: 1000 });
  const clients: SimClient[] = Array.from({ length: clientCount }, (_, i) => ({
    ot: new OtClient(`c${i}`, 0),
    doc: new Delta(),
    outbox: [],
  }));
  const inFlight: Promise<unknown>[] = [];

  const submit = (op: OutgoingOp) =>
    inFlight.push(sequencer.submit({ documentId: DOC, baseVersion: op.baseVersion, delta: op.delta, clientId: op.clientId, clientSeq: op.clientSeq, runEnd: op.runEnd, authorId: null }));

  const deliver = async (c: SimClient, count: number) => {
    const ops = await log.readOps(DOC, c.ot.version, undefined, count);
    for (const op of ops) {
      const { apply, send } = c.ot.receive(op);
      if (apply) c.doc = c.doc.compose(apply);
      if (send) c.outbox.push(send);
    }
  };

  for (const action of actions) {
    if (action.type === 'settle') {
      await Promise.all(inFlight.splice(0));
      continue;
    }
    const c = clients[action.client % clientCount]!;
    if (action.type === 'edit') {
      const delta = toDelta(action.edit, c.doc.length());
      if (!delta || delta.ops.every((op) => typeof op.retain === 'number' && !op.attributes)) continue;
      c.doc = c.doc.compose(delta);
      const send = c.ot.applyLocal(delta);
      if (send) c.outbox.push(send);
    } else if (action.type === 'send') {
      const op = c.outbox.shift();
      if (op) submit(op);
    } else if (action.type === 'deliver') {
      await deliver(c, action.count);
    } else {
      // Connection lost: whatever was queued is gone; resubmit the op in
      // flight with the same (clientId, clientSeq), even if it was committed.
      c.outbox = [];
      if (c.ot.pending) c.outbox.push(c.ot.pending);
    }
  }

  // Quiesce: send everything, deliver everything, until nothing moves.
  for (let round = 0; round < 1000; round++) {
    await Promise.all(inFlight.splice(0));
    let moved = false;
    for (const c of clients) {
      for (const op of c.outbox.splice(0)) {
        submit(op);
        moved = true;
      }
    }
    await Promise.all(inFlight.splice(0));
    const head = (await sequencer.head(DOC)).version;
    for (const c of clients) {
      if (c.ot.version < head) {
        await deliver(c, Infinity);
        moved = true;
      }
    }
    if (!moved) break;
  }

  const head = await sequencer.head(DOC);
  const ops = await log.readOps(DOC, 0);
  committed.push(...ops);
  return { clients, head, ops: committed };
}

describe('convergence (OT core + client state machine)', () => {
  it('converges for random concurrent rich-text edits, interleavings and reconnects', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 2, max: 5 }),
        fc.array(actionArb, { minLength: 20, maxLength: 200, size: 'max' }),
        fc.constantFrom(0, 3, 10),
        fc.constantFrom(0, 0, 2, 5),
        async (clientCount, actions, snapshotEvery, raceEvery) => {
          const { clients, head, ops } = await simulate(clientCount, actions, snapshotEvery, raceEvery);
          // Gap-free, exactly-once log.
          expect(ops.map((op) => op.version)).toEqual(ops.map((_, i) => i + 1));
          const keys = new Set(ops.map((op) => `${op.clientId}/${op.clientSeq}`));
          expect(keys.size).toBe(ops.length);
          // Every client ends synchronised with the server's content.
          for (const c of clients) {
            expect(c.ot.state).toBe('synchronised');
            expect(c.doc.ops).toEqual(head.content.ops);
          }
          // The head is the composition of the log.
          const replayed = ops.reduce((doc, op) => doc.compose(op.delta), new Delta());
          expect(replayed.ops).toEqual(head.content.ops);
        },
      ),
      { numRuns: 200 },
    );
  });
});
