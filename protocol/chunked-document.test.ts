// ChunkedDocument must be compose, only faster: after any sequence of
// changes, the same delta op for op, and the same length.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkedDocument } from './chunked-document.ts';
import { Delta } from './delta.ts';

const attributes = fc.option(fc.record({ bold: fc.option(fc.constant(true), { nil: null }), color: fc.constantFrom('red', 'blue') }, { requiredKeys: [] }), { nil: undefined });
const text = fc.constantFrom('a', 'bc', 'def', '\n', 'xyz\n', '😀', 'a😀b', 'long text without a break');
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
      fc.property(fc.array(step, { minLength: 1, maxLength: 200 }), fc.integer({ min: 0, max: 60 }), fc.constantFrom(1, 2, 4, 64), fc.constantFrom(2, 3, 7, 4096), (steps, initial, chunk, piece) => {
        let expected = new Delta();
        for (let i = 0; i < initial; i++) expected.insert(i % 7 === 0 ? '\n' : i % 5 === 0 ? 'x😀yz' : 'ab', i % 3 === 0 ? { bold: true } : undefined);
        const doc = new ChunkedDocument(expected, chunk, undefined, piece);
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

  it('rewrites a bounded part of a long run per change, not the whole run', () => {
    // A 1 MB run of one format (a plain-text import): each change used to
    // copy and measure all of it. Counted by what the measure is asked to read.
    let read = 0;
    const measure = (ops: readonly { insert?: unknown }[]) => {
      let n = 0;
      for (const op of ops) n += typeof op.insert === 'string' ? op.insert.length : 1;
      read += n;
      return n;
    };
    const run = 'lorem ipsum '.repeat(90_000);
    const doc = new ChunkedDocument(new Delta().insert(run + '\n'), undefined, measure);
    let expected = new Delta().insert(run + '\n');
    read = 0;
    for (const at of [5, 500_000, 1_000_000]) {
      const change = new Delta().retain(at).insert('x');
      doc.apply(change);
      expected = expected.compose(change);
    }
    expect(read).toBeLessThan(3 * 100_000);
    expect(doc.size).toBe(expected.length());
    expect(doc.toDelta().ops).toEqual(expected.ops);
  });

  it('gives the start of a long document without joining the rest', () => {
    const run = 'x'.repeat(50) + 'y'.repeat(50);
    const doc = new ChunkedDocument(new Delta().insert(run, { bold: true }).insert('\n'), 2, undefined, 7);
    const opening = doc.opening(20);
    const text = opening.map((op) => op.insert).join('');
    expect(text.length).toBeGreaterThanOrEqual(20);
    expect(text.length).toBeLessThan(30);
    expect(run.startsWith(text)).toBe(true);
    expect(opening.every((op) => op.attributes?.bold === true)).toBe(true);
    expect(doc.opening(1_000).map((op) => op.insert).join('')).toBe(run + '\n');
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
