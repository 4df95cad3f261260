import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { transformAnchor, transformAnchorThrough, type AnchorRange } from '../../../protocol/anchor.ts';
import { Delta } from '../../../protocol/delta.ts';
import { rebase, transformOverCommitted } from '../../../protocol/rebase.ts';
import { moveSuggestion } from '../../../protocol/suggestion.ts';
import { OtClient, type OutgoingOp } from '../sync/ot-client.ts';
import { Placements } from './placements.ts';

/** An editor at `version` whose server ops are `log` (log[k] is version k + 1), kept from `kept` on. */
function setup(version: number, onTop: Array<Delta | null> = []) {
  const editor = { version, onTop, log: [] as Delta[], kept: 0 };
  let stale = 0;
  const placements = new Placements(
    {
      version: () => editor.version,
      committedSince: (v) => (v < editor.kept || v > editor.version ? null : editor.log.slice(v, editor.version)),
      onTop: () => editor.onTop,
    },
    () => stale++,
  );
  return { editor, placements, stale: () => stale };
}

describe('Placements', () => {
  it('places an answer at the editor version over the edits on top of it, as the server will once they commit', () => {
    const pending = new Delta().insert('ab');
    const draft = new Delta().retain(8).insert('!');
    const { placements } = setup(3, [pending, draft]);
    const suggestion = new Delta().retain(4).delete(2).insert('x');
    placements.setThreads([{ id: 't', anchor: { version: 3, index: 4, length: 3 } }]);
    placements.setSuggestions([{ id: 's', version: 3, delta: { ops: suggestion.ops as never } }]);
    const shown = placements.shown();
    expect(shown.threads.get('t')).toEqual(transformAnchor(transformAnchor({ index: 4, length: 3 }, pending), draft));
    expect(shown.suggestions.get('s')).toEqual(transformOverCommitted(draft, transformOverCommitted(pending, suggestion)));
  });

  it('holds an answer ahead of the editor until it gets there, moves one behind it over the ops since, and asks again when those are no longer kept', () => {
    const { editor, placements, stale } = setup(3);
    editor.log = [new Delta().insert('x'), new Delta().insert('y'), new Delta().insert('z')];
    editor.kept = 2;
    placements.setThreads([
      { id: 'ahead', anchor: { version: 4, index: 0, length: 2 } },
      { id: 'behind', anchor: { version: 2, index: 0, length: 2 } },
      { id: 'too old', anchor: { version: 1, index: 0, length: 2 } },
      { id: 'detached', anchor: null },
    ]);
    expect([...placements.shown().threads]).toEqual([
      ['detached', null],
      ['behind', { index: 1, length: 2 }],
    ]);
    expect(stale()).toBe(1);
    editor.log.push(new Delta().retain(1).delete(1));
    editor.version = 4;
    expect(placements.place()).toBe(true);
    expect(placements.shown().threads.get('ahead')).toEqual({ index: 0, length: 2 });
    expect(placements.shown().threads.get('behind')).toEqual({ index: 1, length: 1 });
  });

  it('moves placed items over the server ops, and drops a suggestion whose text is gone', () => {
    const { editor, placements } = setup(1);
    editor.log = [new Delta().insert('0123456789')];
    placements.setThreads([{ id: 't', anchor: { version: 1, index: 2, length: 3 } }]);
    placements.setSuggestions([
      { id: 'del', version: 1, delta: { ops: [{ retain: 2 }, { delete: 2 }] } },
      { id: 'ins', version: 1, delta: { ops: [{ retain: 2 }, { insert: 'x' }] } },
    ]);
    // Someone types at the very places: before the range, and before the suggested insert.
    editor.log.push(new Delta().retain(2).insert('ab'));
    editor.version = 2;
    expect(placements.shown().threads.get('t')).toEqual({ index: 4, length: 3 });
    expect(placements.shown().suggestions.get('ins')!.ops).toEqual([{ retain: 4 }, { insert: 'x' }]);
    editor.log.push(new Delta().retain(4).delete(2));
    editor.version = 3;
    expect(placements.shown().suggestions.has('del')).toBe(false);
    expect(placements.shown().threads.get('t')).toEqual({ index: 4, length: 1 });
  });

  it("drops a suggestion as the server makes it OUTDATED: a replacement whose deleted text is gone, though its insert is left", () => {
    const { editor, placements } = setup(1);
    editor.log = [new Delta().insert('Hello world\n')];
    // "world" -> "there", and a bold "Hello".
    const replace = new Delta().retain(6).delete(5).insert('there');
    const bold = new Delta().retain(5, { bold: true });
    placements.setSuggestions([
      { id: 'replace', version: 1, delta: { ops: replace.ops as never } },
      { id: 'bold', version: 1, delta: { ops: bold.ops as never } },
    ]);
    // Someone deletes "world": the replacement is only an insert now, and the server calls it OUTDATED.
    const deleteWorld = new Delta().retain(6).delete(5);
    expect(moveSuggestion(replace, replace, [deleteWorld])).toEqual({ delta: new Delta().retain(6).insert('there'), outdated: true });
    editor.log.push(deleteWorld);
    editor.version = 2;
    expect([...placements.shown().suggestions.keys()]).toEqual(['bold']);
    // The same from our own edit not yet committed: shown as the server will have it.
    editor.onTop = [new Delta().delete(5)];
    expect(placements.shown().suggestions.size).toBe(0);
  });

  it('forgets what a new answer no longer lists, and keeps an old place until the new one lands', () => {
    const { editor, placements } = setup(1);
    placements.setThreads([
      { id: 'a', anchor: { version: 1, index: 0, length: 1 } },
      { id: 'b', anchor: { version: 1, index: 1, length: 1 } },
    ]);
    placements.setThreads([{ id: 'a', anchor: { version: 2, index: 5, length: 1 } }]);
    expect([...placements.shown().threads]).toEqual([['a', { index: 0, length: 1 }]]);
    editor.log.push(new Delta().insert('x'));
    editor.version = 2;
    placements.place();
    expect(placements.shown().threads.get('a')).toEqual({ index: 5, length: 1 });
  });

  it('shows the range the server has once our edits are committed, though our order of edits put an insert inside it and the log puts it outside', () => {
    // "aaaaaaaaaa", a thread on 5..7. We type "x" after character 5 while someone deletes character 5.
    const { editor, placements } = setup(1);
    editor.log = [new Delta().insert('aaaaaaaaaa')];
    placements.setThreads([{ id: 't', anchor: { version: 1, index: 5, length: 3 } }]);
    const ours = new Delta().retain(6).insert('x');
    editor.onTop = [ours];
    expect(placements.shown().threads.get('t')).toEqual({ index: 5, length: 4 });
    const theirs = new Delta().retain(5).delete(1);
    editor.log.push(theirs, rebase(ours, [{ delta: theirs }]));
    editor.version = 3;
    editor.onTop = [];
    const server = transformAnchorThrough({ index: 5, length: 3 }, editor.log.slice(1));
    expect(server).toEqual({ index: 6, length: 2 }); // the log: the insert lands at the range's start, so before it
    expect(placements.shown().threads.get('t')).toEqual(server);
  });
});

/** The server's side: a log, and the rebase it applies to a submission. */
class Log {
  readonly ops: Array<{ version: number; delta: Delta; clientId: string; clientSeq: number }> = [];
  content: Delta;
  constructor(initial: Delta) {
    this.content = initial;
  }
  commit(op: { baseVersion: number; delta: Delta; clientId: string; clientSeq: number; runEnd?: number | null }) {
    const delta = rebase(op.delta, this.ops.slice(op.baseVersion), op.runEnd ?? null);
    this.content = this.content.compose(delta);
    this.ops.push({ version: this.ops.length + 1, delta, clientId: op.clientId, clientSeq: op.clientSeq });
  }
}

const edit = fc.record({ insert: fc.boolean(), at: fc.double({ min: 0, max: 1, noNaN: true }), near: fc.integer({ min: -1, max: 1 }), size: fc.integer({ min: 1, max: 3 }) });
type Edit = typeof edit extends fc.Arbitrary<infer T> ? T : never;

/** An insert or a delete of a document of `length`, half of the time at or next to an edge of `range`. */
function change(length: number, e: Edit, range: AnchorRange | null | undefined): Delta {
  const edge = range && e.at < 0.5 ? (e.at < 0.25 ? range.index : range.index + range.length) + e.near : Math.floor(e.at * (length + 1));
  const at = Math.max(0, Math.min(edge, length));
  if (e.insert || at === length) return new Delta().retain(at).insert('x'.repeat(e.size));
  return new Delta().retain(at).delete(Math.min(e.size, length - at));
}

describe('Placements with the sync engine', () => {
  it('shows exactly what the server has once every edit is committed, whatever the interleaving of our edits, theirs and the stream', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 12 }),
        fc.array(fc.record({ who: fc.constantFrom('me', 'me', 'them', 'send', 'deliver', 'deliver'), e: edit }), { minLength: 1, maxLength: 24 }),
        (length, steps) => {
          const base = new Delta().insert('a'.repeat(length));
          const range = { index: Math.floor(length / 3), length: Math.max(1, Math.floor(length / 3)) };
          const suggestion = new Delta().retain(range.index).delete(1).insert('s');
          const log = new Log(base);
          const ot = new OtClient('me', 0);
          let local = base;
          const outbox: OutgoingOp[] = [];
          const placements = new Placements(
            {
              version: () => ot.version,
              committedSince: (v) => log.ops.slice(v, ot.version).map((op) => op.delta),
              onTop: () => [ot.pending?.delta ?? null, ot.buffered],
            },
            () => {
              throw new Error('every op is kept');
            },
          );
          placements.setThreads([{ id: 't', anchor: { version: 0, ...range } }]);
          placements.setSuggestions([{ id: 's', version: 0, delta: { ops: suggestion.ops as never } }]);
          const deliver = () => {
            const { apply, send } = ot.receive(log.ops[ot.version]!);
            if (apply) local = local.compose(apply);
            if (send) outbox.push(send);
          };
          let seq = 0;
          for (const { who, e } of steps) {
            if (who === 'me') {
              const delta = change(local.length(), e, placements.shown().threads.get('t'));
              local = local.compose(delta);
              const send = ot.applyLocal(delta);
              if (send) outbox.push(send);
            } else if (who === 'them') {
              const head = log.ops.length;
              const content = log.content;
              const theirRange = transformAnchorThrough(range, log.ops);
              log.commit({ baseVersion: head, delta: change(content.length(), e, theirRange), clientId: 'them', clientSeq: seq++ });
            } else if (who === 'send' && outbox.length > 0) log.commit(outbox.shift()!);
            else if (who === 'deliver' && ot.version < log.ops.length) deliver();
          }
          // Everything goes through.
          while (outbox.length > 0 || ot.version < log.ops.length) {
            if (outbox.length > 0) log.commit(outbox.shift()!);
            while (ot.version < log.ops.length) deliver();
          }
          expect(local).toEqual(log.content);
          const shown = placements.shown();
          expect(shown.threads.get('t')).toEqual(transformAnchorThrough(range, log.ops));
          const server = moveSuggestion(suggestion, suggestion, log.ops);
          if (!server.outdated) expect(shown.suggestions.get('s')).toEqual(server.delta);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
