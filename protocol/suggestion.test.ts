// The suggestion rule against a client that holds the suggestion as its own
// pending op: it applies the suggestion first and each committed op rebased
// over it (the other half of the rebase rule), while the server applies the
// log in order and shows the suggestion moved to the head. Both must reach
// the same text, however often the server wrote a moved suggestion back.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Delta } from './delta.ts';
import { transformCommittedOverPending, transformOverCommitted } from './rebase.ts';
import { changesSomething, isOutdated, moveSuggestion, reach, SuggestionMover } from './suggestion.ts';

const step = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  kind: fc.integer({ min: 0, max: 4 }),
  size: fc.integer({ min: 1, max: 12 }),
  text: fc.string({ minLength: 1, maxLength: 4, unit: fc.constantFrom('a', 'b', 'c', ' ') }),
});
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/** A change of a text of `length` characters: insert, delete, format, replace, or a delete of (nearly) everything. */
function changeAt(length: number, s: Step): Delta {
  const pos = Math.min(Math.floor(s.at * (length + 1)), length);
  const n = Math.min(s.size, length - pos);
  switch (s.kind) {
    case 0:
      return new Delta().retain(pos).insert(s.text);
    case 1:
      return n > 0 ? new Delta().retain(pos).delete(n) : new Delta().retain(pos).insert(s.text);
    case 2:
      return n > 0 ? new Delta().retain(pos).retain(n, { bold: true }) : new Delta().retain(pos).insert(s.text);
    case 3:
      return n > 0 ? new Delta().retain(pos).delete(n).insert(s.text) : new Delta().retain(pos).insert(s.text);
    default:
      // Swallows everything but the final newline.
      return length > 1 ? new Delta().delete(length - 1) : new Delta().insert(s.text);
  }
}

const length = (d: Delta) => d.length();

describe('suggestions move like a pending op', () => {
  it('shown at the head, a suggestion gives what a client holding it as a pending op has', () => {
    fc.assert(
      fc.property(step, fc.array(step, { maxLength: 12 }), fc.array(fc.boolean(), { maxLength: 12 }), (s, steps, writeBacks) => {
        let head = new Delta().insert('The quick brown fox\n');
        const original = changeAt(length(head) - 1, s);
        // The client: its text with the suggestion applied, and the suggestion as its pending op.
        let local = head.compose(original);
        let pending = original;
        // The server: the suggestion as stored, and the ops since.
        let stored = original;
        let since: Delta[] = [];
        for (const [i, st] of steps.entries()) {
          const op = changeAt(length(head) - 1, st);
          head = head.compose(op);
          local = local.compose(transformCommittedOverPending(pending, op));
          pending = transformOverCommitted(op, pending);
          since.push(op);
          if (writeBacks[i]) {
            stored = moveSuggestion(original, stored, since).delta;
            since = [];
          }
        }
        const shown = moveSuggestion(original, stored, since);
        expect(shown.delta).toEqual(pending);
        expect(head.compose(shown.delta)).toEqual(local);
        // Outdated exactly when the deletes (or formats) it had cover nothing any more.
        const before = reach(original);
        const after = reach(shown.delta);
        expect(shown.outdated).toBe((before.deletes > 0 && after.deletes === 0) || (before.formats > 0 && after.formats === 0));
      }),
      { numRuns: 500 },
    );
  });

  it('is OUTDATED once the text it deletes is all deleted by others, not while some is left', () => {
    const original = new Delta().retain(4).delete(5).insert('slow'); // "quick" -> "slow" in "The quick fox\n"
    const partly = moveSuggestion(original, original, [new Delta().retain(4).delete(2)]);
    expect(partly).toEqual({ delta: new Delta().retain(4).delete(3).insert('slow'), outdated: false });
    const gone = moveSuggestion(original, original, [new Delta().retain(2).delete(9)]);
    expect(gone.outdated).toBe(true);
    // Its insert is still there: the rule is about the text it acts on.
    expect(gone.delta).toEqual(new Delta().retain(2).insert('slow'));
  });

  it('is OUTDATED once the text it formats is gone; an insert alone never is', () => {
    const bold = new Delta().retain(4).retain(5, { bold: true });
    expect(moveSuggestion(bold, bold, [new Delta().retain(4).delete(5)]).outdated).toBe(true);
    const insert = new Delta().retain(4).insert('very ');
    expect(moveSuggestion(insert, insert, [new Delta().delete(13)])).toEqual({ delta: new Delta().insert('very '), outdated: false });
  });

  it('tells no-ops apart', () => {
    expect(changesSomething(new Delta().retain(3))).toBe(false);
    expect(changesSomething(new Delta())).toBe(false);
    expect(changesSomething(new Delta().retain(3, { bold: true }))).toBe(true);
    expect(isOutdated(new Delta().retain(1), new Delta())).toBe(false);
  });
});

/** Any delta, canonical or not: retains (some formatted), inserts (text, formatted text, an embed) and deletes, empty ones too (embed retains never pass the Delta scalar). */
const anyOp = fc.oneof(
  fc.record({ retain: fc.integer({ min: 0, max: 5 }) }),
  fc.record({ retain: fc.integer({ min: 1, max: 5 }), attributes: fc.constantFrom({ bold: true }, { italic: true }, { bold: null }, {}) }),
  fc.record({ insert: fc.string({ maxLength: 3, unit: fc.constantFrom('x', 'y') }) }),
  fc.record({ insert: fc.string({ minLength: 1, maxLength: 3, unit: fc.constantFrom('x', 'y') }), attributes: fc.constantFrom({ bold: true }, { italic: true }) }),
  fc.constant({ insert: { image: 'b.png' } }),
  fc.record({ delete: fc.integer({ min: 0, max: 5 }) }),
);
const anyDelta = fc.array(anyOp, { maxLength: 6 }).map((ops) => new Delta(ops as Delta['ops']));
/** The plain left fold the mover must equal, step for step. */
const fold = (current: Delta, changes: readonly Delta[]) => changes.reduce((d, c) => transformOverCommitted(c, d), current);

describe('SuggestionMover', () => {
  it('gives what transforming over every op in turn gives, from wherever each suggestion was stored, whatever the deltas look like', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ delta: anyDelta, from: fc.integer({ min: 0, max: 10 }) }), { minLength: 1, maxLength: 6 }), fc.array(anyDelta, { maxLength: 10 }), (suggestions, changes) => {
        const mover = new SuggestionMover(changes);
        for (const { delta, from } of suggestions) {
          const k = Math.min(from, changes.length);
          const expected = fold(delta, changes.slice(k));
          const moved = mover.move(delta, delta, k);
          expect(moved.delta.ops).toEqual(expected.ops);
          expect(moved.outdated).toBe(isOutdated(delta, expected));
        }
      }),
      { numRuns: 5000 },
    );
  });

  it('gives the plain fold for edits of a text, a suggestion made on it first (mostly canonical deltas, many steps)', () => {
    fc.assert(
      fc.property(step, fc.array(step, { maxLength: 40 }), (s, steps) => {
        let head = new Delta().insert('The quick brown fox jumps over the lazy dog\n');
        const original = changeAt(length(head) - 1, s);
        const changes: Delta[] = [];
        for (const st of steps) {
          const op = changeAt(length(head) - 1, st);
          head = head.compose(op);
          changes.push(op);
        }
        expect(new SuggestionMover(changes).move(original, original).delta.ops).toEqual(fold(original, changes).ops);
      }),
      { numRuns: 2000 },
    );
  });
});
