// applyChange must be compose and transform must be Delta#transform, only
// faster: the same delta, op for op.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChange, Delta, transform } from './delta.ts';

const attributes = fc.option(fc.record({ bold: fc.option(fc.constant(true), { nil: null }), color: fc.constantFrom('red', 'blue') }, { requiredKeys: [] }), { nil: undefined });
const text = fc.constantFrom('a', 'bc', 'def', '\n', 'xyz\n');
const documentArb = fc.array(fc.record({ insert: text, attributes }), { maxLength: 12 }).map((ops) => {
  const doc = new Delta();
  for (const op of ops) doc.insert(op.insert, op.attributes ?? undefined);
  return doc;
});

type Step = { kind: number; size: number; attributes: Record<string, unknown> | undefined; text: string };

/** A random change of a document of `length`: retains (some formatting), deletes, inserts and embeds. */
function changeOf(length: number, steps: Step[]): Delta {
  const change = new Delta();
  let left = length;
  for (const step of steps) {
    const size = Math.min(step.size, left);
    if (step.kind === 0 && size > 0) {
      change.retain(size, step.attributes);
      left -= size;
    } else if (step.kind === 1 && size > 0) {
      change.delete(size);
      left -= size;
    } else if (step.kind === 2) {
      change.insert(step.text, step.attributes);
    } else if (step.kind === 3) {
      change.insert({ image: 'x.png' }, step.attributes);
    }
  }
  return change;
}

const stepsArb = fc.array(fc.record({ kind: fc.integer({ min: 0, max: 3 }), size: fc.integer({ min: 0, max: 8 }), attributes, text }), { maxLength: 6 });

describe('applyChange', () => {
  it('equals doc.compose(change) for random documents and changes', () => {
    fc.assert(
      fc.property(documentArb, stepsArb, (doc, steps) => {
        const change = changeOf(doc.length(), steps);
        expect(applyChange(doc, change).ops).toEqual(doc.compose(change).ops);
      }),
      { numRuns: 2_000 },
    );
  });

  it('handles an embed retained with a change, and a change at the very end', () => {
    const doc = new Delta().insert('ab').insert({ image: 'x.png' }).insert('c\n');
    for (const change of [new Delta().retain(2).retain(1, { width: '10' }), new Delta().retain(5).insert('!'), new Delta().retain(1).delete(3), new Delta().insert('z')]) {
      expect(applyChange(doc, change).ops).toEqual(doc.compose(change).ops);
    }
  });
});

describe('transform', () => {
  it('equals a.transform(b, priority) for random concurrent changes, both ways', () => {
    const pair = fc.integer({ min: 0, max: 20 }).chain((length) => fc.tuple(stepsArb.map((steps) => changeOf(length, steps)), stepsArb.map((steps) => changeOf(length, steps)), fc.boolean()));
    fc.assert(
      fc.property(pair, ([a, b, priority]) => {
        expect(transform(a, b, priority).ops).toEqual(a.transform(b, priority).ops);
        expect(transform(b, a, priority).ops).toEqual(b.transform(a, priority).ops);
      }),
      { numRuns: 5_000 },
    );
  });

  it('falls back to quill-delta where it would have to guess: object attribute values, embed retains', () => {
    const cases: Array<[Delta, Delta]> = [
      [new Delta().retain(2).insert('a', { link: { href: 'x' } }), new Delta().retain(1).insert('b', { link: { href: 'x' } })],
      [new Delta().retain(1, { color: { r: 1 } }), new Delta().retain(1, { color: { r: 2 } })],
      [new Delta().retain({ image: 'y.png' } as unknown as number), new Delta().delete(1)],
    ];
    for (const [a, b] of cases) {
      for (const priority of [true, false]) expect(transform(a, b, priority).ops).toEqual(a.transform(b, priority).ops);
    }
  });
});
