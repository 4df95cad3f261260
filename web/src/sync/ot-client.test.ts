// The client state machine's own choices, beyond mirroring the server: it
// places its unsent buffer first at a tie, sends each op with its run's end,
// and (holdAfterAck) keeps the next op back until flush(). Checked against
// the server's rule (protocol/rebase.ts) with a tiny authority: a log and
// the rebase the server applies.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { rebase } from '../../../protocol/rebase.ts';
import { OtClient, type OutgoingOp } from './ot-client.ts';

const text = (d: Delta) => d.ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');
const insertAt = (index: number, s: string) => new Delta().retain(index).insert(s);

/** The server's side: rebase over everything after the base, committed op first at a tie (but at the op's runEnd). */
class Log {
  readonly ops: Array<{ version: number; delta: Delta; clientId: string; clientSeq: number }> = [];
  content: Delta;
  constructor(initial: string) {
    this.content = new Delta().insert(initial);
  }
  commit(op: OutgoingOp) {
    const delta = rebase(op.delta, this.ops.slice(op.baseVersion), op.runEnd);
    this.content = this.content.compose(delta);
    const committed = { version: this.ops.length + 1, delta, clientId: op.clientId, clientSeq: op.clientSeq };
    this.ops.push(committed);
    return committed;
  }
}

/** A client with its local document, typing at its caret. */
class Typist {
  doc: Delta;
  caret: number;
  outbox: OutgoingOp[] = [];
  seen = 0;
  readonly ot: OtClient;
  constructor(id: string, initial: string, holdAfterAck: boolean) {
    this.ot = new OtClient(id, 0, 0, { holdAfterAck });
    this.doc = new Delta().insert(initial);
    this.caret = initial.length;
  }
  type(s: string) {
    const change = insertAt(this.caret, s);
    this.doc = this.doc.compose(change);
    this.caret += s.length;
    const send = this.ot.applyLocal(change);
    if (send) this.outbox.push(send);
  }
  receive(log: Log) {
    while (this.seen < log.ops.length) {
      const { apply, send } = this.ot.receive(log.ops[this.seen++]!);
      if (apply) {
        this.doc = this.doc.compose(apply);
        this.caret = apply.transformPosition(this.caret, true);
      }
      if (send) this.outbox.push(send);
    }
  }
  flush() {
    const send = this.ot.flush();
    if (send) this.outbox.push(send);
  }
}

/**
 * Ann and Bob type at the end of "S" at once. Ann's "a" commits first; Bob's
 * "b", sent before he saw it, lands right after it, which is where Ann goes
 * on typing: her next letter, typed after her ack, ties with Bob's "b".
 */
function sameSpot(holdAfterAck: boolean): string {
  const log = new Log('S');
  const ann = new Typist('ann', 'S', holdAfterAck);
  const bob = new Typist('bob', 'S', holdAfterAck);
  ann.type('a');
  bob.type('b');
  log.commit(ann.outbox.shift()!);
  ann.receive(log); // her ack
  ann.type('a'); // sent now, or held
  log.commit(bob.outbox.shift()!); // Bob's "b" lands after Ann's first "a"
  if (ann.outbox.length) log.commit(ann.outbox.shift()!);
  ann.receive(log);
  bob.receive(log);
  ann.flush();
  bob.flush();
  // Quiesce.
  for (let i = 0; i < 10; i++) {
    for (const t of [ann, bob]) while (t.outbox.length) log.commit(t.outbox.shift()!);
    for (const t of [ann, bob]) {
      t.receive(log);
      t.flush();
    }
  }
  expect(text(ann.doc)).toBe(text(log.content));
  expect(text(bob.doc)).toBe(text(log.content));
  return text(log.content);
}

describe('OtClient', () => {
  it('places its unsent buffer before a remote insert at the same position, and the server agrees', () => {
    const log = new Log('S');
    const ann = new Typist('ann', 'S', true);
    ann.type('a');
    log.commit(ann.outbox.shift()!);
    ann.receive(log); // her ack: holding
    ann.type('b'); // buffered at index 2
    // Someone's "X", also at index 2, commits meanwhile.
    log.commit({ baseVersion: 1, delta: insertAt(2, 'X'), clientId: 'x', clientSeq: 0, runEnd: null });
    ann.receive(log);
    expect(text(ann.doc)).toBe('SabX');
    ann.flush();
    log.commit(ann.outbox.shift()!);
    ann.receive(log);
    expect(text(log.content)).toBe('SabX');
    expect(ann.ot.state).toBe('synchronised');
  });

  it('keeps each run whole when two people start typing at the same spot, with a hold after the ack', () => {
    expect(sameSpot(true)).toBe('Saab');
  });

  it('keeps each run whole there without the hold too: Ann\'s next letter names her run\'s end, where it wins the tie with Bob\'s "b"', () => {
    expect(sameSpot(false)).toBe('Saab');
  });

  it('keeps both runs whole at one spot whatever the order of sends, commits and deliveries', () => {
    // Two people type a word each at the same spot, one letter per step,
    // each op sent while the other's may be anywhere on its way: no timing
    // can split a run. Before the round, one of them may have pressed Enter
    // there (their run then ends exactly where both type).
    const step = fc.constantFrom('type', 'commit', 'receive', 'flush');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom(0, 1), step), { maxLength: 80 }),
        fc.constantFrom(null, 0, 1),
        fc.boolean(),
        (schedule, enterBy, hold) => {
          const log = new Log('S\n');
          const people = [new Typist('ann', 'S\n', hold), new Typist('bob', 'S\n', hold)];
          const quiesce = () => {
            for (let i = 0; i < 20; i++) {
              for (const t of people) while (t.outbox.length) log.commit(t.outbox.shift()!);
              for (const t of people) {
                t.receive(log);
                t.flush();
              }
            }
          };
          for (const t of people) t.caret = 1;
          if (enterBy !== null) people[enterBy]!.type('\n');
          quiesce();
          const words = ['[ann]', '[bob]'];
          const typed = [0, 0];
          for (const t of people) t.caret = text(t.doc).length - 1; // Control+End: before the last newline
          const typeNext = (who: number) => {
            if (typed[who]! < words[who]!.length) people[who]!.type(words[who]![typed[who]!++]!);
          };
          for (const [who, action] of schedule) {
            const t = people[who]!;
            if (action === 'type') typeNext(who);
            else if (action === 'commit' && t.outbox.length) log.commit(t.outbox.shift()!);
            else if (action === 'receive') t.receive(log);
            else if (action === 'flush') t.flush();
          }
          for (let who = 0; who < 2; who++) while (typed[who]! < words[who]!.length) typeNext(who);
          quiesce();
          const last = text(log.content).split('\n').at(-2)!;
          const line = enterBy === null ? last.slice('S'.length) : last;
          expect(['[ann][bob]', '[bob][ann]'], `schedule ${JSON.stringify(schedule)}`).toContain(line);
          for (const t of people) expect(text(t.doc)).toBe(text(log.content));
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('holds edits after an ack until flush(), then sends them as one op', () => {
    const log = new Log('');
    const ann = new Typist('ann', '', true);
    ann.type('a');
    log.commit(ann.outbox.shift()!);
    ann.receive(log);
    ann.type('b');
    ann.type('c');
    expect(ann.outbox).toEqual([]);
    expect(ann.ot.state).toBe('holding');
    expect(ann.ot.pendingDelta()!.ops).toEqual(insertAt(1, 'bc').ops);
    ann.flush();
    expect(ann.outbox.map((op) => [op.baseVersion, op.delta.ops, op.clientSeq])).toEqual([[1, insertAt(1, 'bc').ops, 1]]);
    expect(ann.ot.state).toBe('awaiting');
  });

  it('brings back a held buffer from a snapshot, waiting for flush()', () => {
    const ann = new OtClient('ann', 3, 2, { holdAfterAck: true });
    ann.receive({ version: 4, delta: insertAt(0, 'x'), clientId: 'bob', clientSeq: 0 });
    // Nothing in flight: a plain client sends at once; a holding one only after an ack.
    expect(ann.applyLocal(insertAt(1, 'y'))).not.toBeNull();
    ann.receive({ version: 5, delta: insertAt(1, 'y'), clientId: 'ann', clientSeq: 2 });
    expect(ann.applyLocal(insertAt(2, 'z'))).toBeNull();
    const restored = OtClient.restore(ann.snapshot(), { holdAfterAck: true });
    expect(restored.state).toBe('holding');
    expect(restored.held).toBe(true);
    const send = restored.flush();
    expect(send).toMatchObject({ baseVersion: 5, clientSeq: 3 });
    expect(send!.delta.ops).toEqual(insertAt(2, 'z').ops);
  });
});
