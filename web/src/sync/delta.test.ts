// applyChange must be compose, only faster: the same delta, op for op.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyChange, Delta } from './delta.js';

const attributes = fc.option(fc.record({ bold: fc.option(fc.constant(true), { nil: null }), color: fc.constantFrom('red', 'blue') }, { requiredKeys: [] }), { nil: undefined });
const text = fc.constantFrom('a', 'bc', 'def', '\n', 'xyz\n');
const documentArb = fc.array(fc.record({ insert: text, attributes }), { maxLength: 12 }).map((ops) => {
  const doc = new Delta();
  for (const op of ops) doc.insert(op.insert, op.attributes ?? undefined);
  return doc;
});

/** A random change that fits `doc`: retains (some formatting), deletes and inserts. */
function changeFor(doc: Delta, steps: Array<{ kind: number; size: number; attributes: Record<string, unknown> | undefined; text: string }>): Delta {
  const change = new Delta();
  let left = doc.length();
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
    }
  }
  return change;
}

const stepsArb = fc.array(fc.record({ kind: fc.integer({ min: 0, max: 2 }), size: fc.integer({ min: 0, max: 8 }), attributes, text }), { maxLength: 6 });

describe('applyChange', () => {
  it('equals doc.compose(change) for random documents and changes', () => {
    fc.assert(
      fc.property(documentArb, stepsArb, (doc, steps) => {
        const change = changeFor(doc, steps);
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
