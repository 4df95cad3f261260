// ChunkedDocument must be compose, only faster: after any sequence of
// changes, the same delta op for op, and the same length.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkedDocument } from './chunked-document.ts';
import { Delta } from './delta.ts';

const attributes = fc.option(fc.record({ bold: fc.option(fc.constant(true), { nil: null }), color: fc.constantFrom('red', 'blue') }, { requiredKeys: [] }), { nil: undefined });
const text = fc.constantFrom('a', 'bc', 'def', '\n', 'xyz\n');
const step = fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), kind: fc.integer({ min: 0, max: 2 }), size: fc.integer({ min: 1, max: 6 }), attributes, text, embed: fc.boolean() });

/** A change at a relative position of `doc`: insert (text or embed), delete, or format. */
function changeAt(length: number, s: { at: number; kind: number; size: number; attributes: Record<string, unknown> | undefined; text: string; embed: boolean }): Delta {
  const pos = Math.floor(s.at * length);
  const change = new Delta().retain(pos);
  const size = Math.min(s.size, length - pos);
  if (s.kind === 0 || size === 0) return s.embed ? change.insert({ image: 'x.png' }, s.attributes) : change.insert(s.text.repeat(s.size % 5 + 1), s.attributes);
  if (s.kind === 1) return change.delete(size);
  return change.retain(size, s.attributes ?? { bold: true });
}

describe('ChunkedDocument', () => {
  it('equals composing every change into one delta, across chunk splits and joins', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 200 }), fc.integer({ min: 0, max: 60 }), fc.constantFrom(1, 2, 4, 64), (steps, initial, chunk) => {
        let expected = new Delta();
        for (let i = 0; i < initial; i++) expected.insert(i % 7 === 0 ? '\n' : 'ab', i % 3 === 0 ? { bold: true } : undefined);
        const doc = new ChunkedDocument(expected, chunk);
        for (const s of steps) {
          const change = changeAt(expected.length(), s);
          expected = expected.compose(change);
          doc.apply(change);
          expect(doc.length).toBe(expected.length());
        }
        expect(doc.toDelta().ops).toEqual(expected.ops);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a clone independent and returns the same delta until the next change', () => {
    const doc = new ChunkedDocument(new Delta().insert('hello\n'));
    const copy = doc.clone();
    copy.apply(new Delta().retain(5).insert('!'));
    expect(doc.toDelta().ops).toEqual([{ insert: 'hello\n' }]);
    expect(copy.toDelta().ops).toEqual([{ insert: 'hello!\n' }]);
    expect(copy.toDelta()).toBe(copy.toDelta());
    doc.apply(new Delta().delete(6));
    expect(doc.toDelta().ops).toEqual([]);
    doc.apply(new Delta().insert('again'));
    expect(doc.toDelta().ops).toEqual([{ insert: 'again' }]);
  });
});
