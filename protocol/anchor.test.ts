// The anchor rule against a model that marks the range's characters and
// follows them through the edits (inserts strictly between two marked
// characters join the range, inserts at an edge do not); and the case that
// makes clients hold ranges at the server's version rather than move them
// in their own order of edits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AnchorMover, transformAnchor, transformAnchorThrough, type AnchorRange } from './anchor.ts';
import { Delta } from './delta.ts';
import { rebase, transformCommittedOverPending } from './rebase.ts';

const step = fc.record({
  at: fc.double({ min: 0, max: 1, noNaN: true }),
  kind: fc.integer({ min: 0, max: 4 }),
  size: fc.integer({ min: 1, max: 8 }),
  second: fc.double({ min: 0, max: 1, noNaN: true }),
});
type Step = typeof step extends fc.Arbitrary<infer T> ? T : never;

/**
 * A change of a document of `length`: an insert, a delete, a format, a
 * delete with an insert in its place (what typing over a selection does),
 * or a delete and an insert far apart. Positions snap to the range's edges
 * half of the time, where the rule matters most.
 */
function changeAt(length: number, s: Step, range: AnchorRange | null): Delta {
  const edges = range ? [range.index, range.index + range.length] : [];
  const pick = (x: number) => (edges.length > 0 && x < 0.5 ? edges[Math.floor(x * 4) % edges.length]! : Math.floor(x * (length + 1)));
  const pos = Math.min(pick(s.at), length);
  const size = Math.min(s.size, length - pos);
  const change = new Delta().retain(pos);
  if (s.kind === 0 || size === 0) return change.insert('x'.repeat(s.size));
  if (s.kind === 1) return change.delete(size);
  if (s.kind === 2) return change.retain(size, { bold: true });
  if (s.kind === 3) return change.insert('y'.repeat(s.size)).delete(size);
  const other = Math.min(pick(s.second), length);
  return other >= pos + size ? change.delete(size).retain(other - pos - size).insert('z') : new Delta().retain(other).insert('z');
}

/** The reference: each character carries whether it is in the range. */
function markedAfter(marks: boolean[], change: Delta): boolean[] {
  const out: boolean[] = [];
  let i = 0;
  for (const op of change.ops) {
    if (typeof op.retain === 'number') {
      out.push(...marks.slice(i, i + op.retain));
      i += op.retain;
    } else if (typeof op.delete === 'number') {
      i += op.delete;
    } else if (op.insert !== undefined) {
      const n = typeof op.insert === 'string' ? op.insert.length : 1;
      const inside = out.length > 0 && out[out.length - 1] === true && marks[i] === true;
      for (let k = 0; k < n; k++) out.push(inside);
    }
  }
  out.push(...marks.slice(i));
  return out;
}

function rangeOf(marks: boolean[]): AnchorRange | null {
  const first = marks.indexOf(true);
  if (first < 0) return null;
  const last = marks.lastIndexOf(true);
  return { index: first, length: last - first + 1 };
}

const start = fc.record({ length: fc.integer({ min: 1, max: 30 }), a: fc.double({ min: 0, max: 1, noNaN: true }), b: fc.double({ min: 0, max: 1, noNaN: true }) }).map(({ length, a, b }) => {
  const index = Math.min(Math.floor(a * length), length - 1);
  return { length, range: { index, length: 1 + Math.floor(b * (length - index - 1)) } };
});

describe('transformAnchor', () => {
  it('follows the characters of the range: inserts inside join it, inserts at its edges do not, deleting all of it detaches it', () => {
    fc.assert(
      fc.property(start, fc.array(step, { minLength: 1, maxLength: 40 }), ({ length, range }, steps) => {
        let marks = Array.from({ length }, (_, i) => i >= range.index && i < range.index + range.length);
        let anchor: AnchorRange | null = range;
        for (const s of steps) {
          const change = changeAt(marks.length, s, anchor);
          marks = markedAfter(marks, change);
          anchor = transformAnchor(anchor, change);
          // Once detached, it stays detached even if the model saw a later insert (the model has no marked neighbours then either).
          expect(anchor).toEqual(rangeOf(marks));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('is the same through a list of changes as one change at a time, from any point in between (the server writes moved anchors back)', () => {
    fc.assert(
      fc.property(start, fc.array(step, { minLength: 1, maxLength: 30 }), fc.integer({ min: 0, max: 30 }), ({ length, range }, steps, cut) => {
        let doc = new Delta().insert('a'.repeat(length));
        let anchor: AnchorRange | null = range;
        const changes: Delta[] = [];
        for (const s of steps) {
          const change = changeAt(doc.length(), s, anchor);
          changes.push(change);
          doc = doc.compose(change);
          anchor = transformAnchor(anchor, change);
        }
        const k = Math.min(cut, changes.length);
        const stored = transformAnchorThrough(range, changes.slice(0, k));
        expect(transformAnchorThrough(stored, changes.slice(k))).toEqual(anchor);
        expect(transformAnchorThrough(range, changes.map((delta) => ({ delta })))).toEqual(anchor);
      }),
      { numRuns: 500 },
    );
  });

  it("can move a range differently in a client's order of edits than in the log's, so clients show the server's range (web/src/team/placements.ts)", () => {
    // "aaaaaaaaaa", the range on 5..7. A client types "x" after character 5 (inside the range) while
    // someone deletes character 5. In the log the insert comes second and lands at the range's start.
    const range = { index: 5, length: 3 };
    const pending = new Delta().retain(6).insert('x');
    const committed = new Delta().retain(5).delete(1);
    const server = transformAnchorThrough(range, [committed, rebase(pending, [{ delta: committed }])]);
    const client = transformAnchorThrough(range, [pending, transformCommittedOverPending(pending, committed)]);
    expect(server).toEqual({ index: 6, length: 2 });
    expect(client).toEqual({ index: 5, length: 3 });
    // The same log comes from an insert typed just before the range: the log cannot tell the two apart.
    const before = new Delta().retain(5).insert('x');
    expect(rebase(before, [{ delta: committed }])).toEqual(rebase(pending, [{ delta: committed }]));
  });
});

/** Any delta, canonical or not: runs of retains (some formatted, some of an embed), inserts (text or an embed) and deletes, empty ones too. */
const anyOp = fc.oneof(
  fc.record({ retain: fc.integer({ min: 0, max: 6 }) }),
  fc.record({ retain: fc.integer({ min: 1, max: 6 }), attributes: fc.constant({ bold: true }) }),
  fc.constant({ retain: { image: 'a.png' } }),
  fc.record({ insert: fc.string({ maxLength: 4, unit: fc.constantFrom('x', 'y') }) }),
  fc.constant({ insert: { image: 'b.png' } }),
  fc.record({ delete: fc.integer({ min: 0, max: 6 }) }),
);
const anyDelta = fc.array(anyOp, { maxLength: 8 }).map((ops) => new Delta(ops as Delta['ops']));

describe('AnchorMover', () => {
  it('moves each range as transformAnchorThrough does, from wherever it was stored in the list', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ index: fc.integer({ min: 0, max: 30 }), length: fc.integer({ min: 1, max: 12 }), from: fc.integer({ min: 0, max: 12 }) }), { minLength: 1, maxLength: 8 }),
        fc.array(anyDelta, { maxLength: 12 }),
        (ranges, changes) => {
          const mover = new AnchorMover(changes);
          for (const { index, length, from } of ranges) {
            const k = Math.min(from, changes.length);
            expect(mover.move({ index, length }, k)).toEqual(transformAnchorThrough({ index, length }, changes.slice(k)));
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('moves each edge exactly as quill-delta moves a position, with either priority', () => {
    fc.assert(
      fc.property(anyDelta, fc.integer({ min: 0, max: 40 }), fc.integer({ min: 1, max: 10 }), (change, index, length) => {
        const moved = new AnchorMover([change]).move({ index, length });
        const start = change.transformPosition(index, false);
        const end = change.transformPosition(index + length, true);
        expect(moved).toEqual(end > start ? { index: start, length: end - start } : null);
      }),
      { numRuns: 5000 },
    );
  });

  it('agrees with the rule over the edits that snap to the range edges', () => {
    fc.assert(
      fc.property(start, fc.array(step, { minLength: 1, maxLength: 40 }), ({ length, range }, steps) => {
        let doc = length;
        let anchor: AnchorRange | null = range;
        const changes: Delta[] = [];
        for (const s of steps) {
          const change = changeAt(doc, s, anchor);
          changes.push(change);
          doc = new Delta().insert('a'.repeat(doc)).compose(change).length();
          anchor = transformAnchor(anchor, change);
        }
        expect(new AnchorMover(changes).move(range)).toEqual(anchor);
      }),
      { numRuns: 1000 },
    );
  });
});
