// ChunkedDocument must be compose, only faster: after any sequence of
// changes, the same delta op for op, and the same length.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkedDocument, storedDocumentUtf8 } from './chunked-document.ts';
import { Delta, type DeltaOp } from './delta.ts';

const attributes = fc.option(fc.record({ bold: fc.option(fc.constant(true), { nil: null }), color: fc.constantFrom('red', 'blue') }, { requiredKeys: [] }), { nil: undefined });
const text = fc.constantFrom('a', 'bc', 'def', '\n', 'xyz\n', '😀', 'a😀b', 'long text without a break', '\ud83d', '\ude00', 'q"\\');
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

/** A measure that adds up (as the server's byte size does): text units, 1 per embed, 3 per attribute. */
const units = (ops: readonly DeltaOp[]) => {
  let n = 0;
  for (const op of ops) n += (typeof op.insert === 'string' ? op.insert.length : 1) + 3 * Object.keys(op.attributes ?? {}).length;
  return n;
};

describe('ChunkedDocument', () => {
  it('equals composing every change into one delta, across chunk splits and joins', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 200 }), fc.integer({ min: 0, max: 60 }), fc.constantFrom(1, 2, 4, 64), fc.constantFrom(2, 3, 7, 4096), fc.constantFrom(2, 3, 32), (steps, initial, chunk, piece, block) => {
        let expected = new Delta();
        for (let i = 0; i < initial; i++) expected.insert(i % 7 === 0 ? '\n' : i % 5 === 0 ? 'x😀yz' : 'ab', i % 3 === 0 ? { bold: true } : undefined);
        const doc = new ChunkedDocument(expected, chunk, undefined, piece, block);
        for (const s of steps) {
          const change = changeAt(expected.length(), s);
          expected = expected.compose(change);
          doc.apply(change);
          expect(doc.length).toBe(expected.length());
        }
        expect(doc.toDelta().ops).toEqual(expected.ops);
        expect(doc.json()).toBe(JSON.stringify({ ops: doc.toDelta().ops }));
      }),
      { numRuns: 500 },
    );
  });

  it('stores as its canonical JSON, and a document read back from it takes changes as the original does', () => {
    fc.assert(
      fc.property(
        fc.array(step, { maxLength: 120 }),
        fc.array(step, { maxLength: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.constantFrom(1, 2, 8),
        fc.constantFrom(2, 7, 4096),
        fc.constantFrom(2, 3, 32),
        (before, after, initial, chunk, piece, block) => {
          let expected = new Delta();
          for (let i = 0; i < initial; i++) expected.insert(i % 7 === 0 ? '\n' : i % 5 === 0 ? 'x😀yz' : 'ab', i % 3 === 0 ? { bold: true } : undefined);
          const doc = new ChunkedDocument(expected, chunk, units, piece, block);
          for (const s of before) {
            const change = changeAt(expected.length(), s);
            expected = expected.compose(change);
            doc.apply(change);
          }
          const stored = doc.toStored();
          expect(stored.text).toBe(JSON.stringify({ ops: doc.toDelta().ops }));
          const read = ChunkedDocument.fromStored(stored, chunk, units, piece, block);
          expect(read.length).toBe(expected.length());
          // Stored sizes are the canonical ops' (the original counts ops a boundary keeps apart apart).
          expect(read.size).toBe(units(expected.ops));
          expect(read.json()).toBe(stored.text);
          // Read back with its UTF-8: each stored block's bytes are its slice of it.
          const utf8 = new TextEncoder().encode(stored.text);
          const withBytes = ChunkedDocument.fromStored({ ...stored, utf8 }, chunk, units, piece, block);
          expect(withBytes.storedUtf8()).toBe(utf8);
          const decoder = new TextDecoder();
          for (const part of withBytes.jsonParts()) expect(part.utf8 && decoder.decode(part.utf8)).toBe(part.text);
          // Units read through the stored blocks are the content's.
          const units16 = expected.ops.map((op) => (typeof op.insert === 'string' ? op.insert : '\u0000')).join('');
          for (let i = -1; i <= units16.length; i += 3) expect(read.unitAt(i)).toBe(i >= 0 && i < units16.length ? units16.charCodeAt(i) : 0);
          for (const s of after) {
            const change = changeAt(expected.length(), s);
            expected = expected.compose(change);
            read.apply(change);
            expect(read.length).toBe(expected.length());
          }
          expect(read.toDelta().ops).toEqual(expected.ops);
          expect(read.json()).toBe(JSON.stringify({ ops: read.toDelta().ops }));
          expect(ChunkedDocument.fromStored(read.toStored(), chunk, units, piece, block).toDelta().ops).toEqual(expected.ops);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('reads a stored document without parsing or measuring it, and a change parses and measures only its block', () => {
    let measured = 0;
    const counting = (ops: readonly DeltaOp[]) => {
      measured += ops.length;
      return units(ops);
    };
    const content = new Delta();
    for (let i = 0; i < 20_000; i++) content.insert(`word ${i} `, i % 2 ? { bold: true } : undefined);
    const stored = new ChunkedDocument(content, undefined, counting).toStored();
    measured = 0;
    const parse = JSON.parse;
    let parsed = 0;
    JSON.parse = ((text: string, ...rest: []) => {
      parsed += text.length;
      return parse(text, ...rest);
    }) as typeof JSON.parse;
    try {
      const doc = ChunkedDocument.fromStored(stored, undefined, counting);
      expect(doc.json()).toBe(stored.text);
      expect(doc.size).toBe(units(content.ops));
      // Only the layout is parsed.
      expect([measured, parsed]).toEqual([0, stored.layout.length]);
      doc.apply(new Delta().retain(doc.length / 2).insert('x'));
      expect(measured).toBeLessThan(1_000);
      expect(parsed).toBeLessThan(stored.text.length / 10);
    } finally {
      JSON.parse = parse;
    }
  });

  it('opens a document read back as UTF-8 without decoding it, and decodes only the blocks a change meets', () => {
    const content = new Delta();
    for (let i = 0; i < 20_000; i++) content.insert(`wörd ${i} `, i % 2 ? { bold: true } : undefined);
    const stored = new ChunkedDocument(content, undefined, units).toStored();
    const utf8 = new TextEncoder().encode(stored.text);
    const decode = TextDecoder.prototype.decode;
    let decoded = 0;
    TextDecoder.prototype.decode = function (this: TextDecoder, input?: AllowSharedBufferSource, options?: TextDecodeOptions) {
      decoded += input?.byteLength ?? 0;
      return decode.call(this, input, options);
    };
    try {
      // As a snapshot body is read back: its text is there only if asked for.
      const doc = ChunkedDocument.fromStored(
        {
          get text(): string {
            throw new Error('the whole text was read');
          },
          layout: stored.layout,
          utf8,
        },
        undefined,
        units,
      );
      expect(doc.size).toBe(units(content.ops));
      expect(doc.storedUtf8()).toBe(utf8);
      const parts = doc.jsonParts();
      expect(parts.every((p) => p.utf8 !== undefined)).toBe(true);
      expect(Buffer.concat(parts.map((p) => p.utf8!)).byteLength).toBe(utf8.byteLength - '{"ops":[]}'.length - (parts.length - 1));
      expect(decoded).toBe(0);
      const change = new Delta().retain(doc.length / 2).insert('x', { italic: true });
      doc.apply(change);
      expect(decoded).toBeGreaterThan(0);
      expect(decoded).toBeLessThan(utf8.byteLength / 10);
      // Stored again (a snapshot): its UTF-8 is the untouched blocks' bytes
      // and the changed ones encoded; only blocks at the change's seams are read.
      const before = decoded;
      const bytes = storedDocumentUtf8(doc.toStored());
      expect(decoded - before).toBeLessThan(utf8.byteLength / 10);
      expect(JSON.parse(doc.json()).ops).toEqual(content.compose(change).ops);
      expect(doc.json()).toBe(JSON.stringify({ ops: doc.toDelta().ops }));
      expect(bytes).toEqual(new TextEncoder().encode(doc.json()));
    } finally {
      TextDecoder.prototype.decode = decode;
    }
  });

  it('stores the UTF-8 of its JSON, joined from blocks read back as bytes and blocks changed since', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 0, maxLength: 40 }), fc.integer({ min: 1, max: 80 }), fc.constantFrom(2, 3, 32), (steps, initial, block) => {
        let content = new Delta();
        for (let i = 0; i < initial; i++) content.insert(i % 7 === 0 ? '\n' : i % 5 === 0 ? 'x😀\ud83dz' : 'ab"', i % 3 === 0 ? { bold: true } : undefined);
        const first = new ChunkedDocument(content, undefined, units, undefined, block).toStored();
        const utf8 = new TextEncoder().encode(first.text);
        expect(storedDocumentUtf8(first)).toEqual(utf8);
        const doc = ChunkedDocument.fromStored({ text: first.text, layout: first.layout, utf8 }, undefined, units, undefined, block);
        for (const s of steps) {
          const change = changeAt(doc.length, s);
          content = content.compose(change);
          doc.apply(change);
        }
        const stored = doc.toStored();
        expect(stored.text).toBe(doc.json());
        expect(JSON.parse(stored.text).ops).toEqual(content.ops);
        expect(storedDocumentUtf8(stored)).toEqual(new TextEncoder().encode(stored.text));
      }),
      { numRuns: 200 },
    );
  });

  it('reads back a layout without UTF-8 lengths (older snapshots) from its text', () => {
    const content = new Delta();
    for (let i = 0; i < 3_000; i++) content.insert(`wörd ${i} `, i % 3 ? { italic: true } : undefined);
    const stored = new ChunkedDocument(content, undefined, units).toStored();
    const older = JSON.stringify({ blocks: (JSON.parse(stored.layout) as { blocks: number[][] }).blocks.map((b) => b.slice(0, 5)) });
    const utf8 = new TextEncoder().encode(stored.text);
    for (const doc of [ChunkedDocument.fromStored({ text: stored.text, layout: older }, undefined, units), ChunkedDocument.fromStored({ text: stored.text, layout: older, utf8 }, undefined, units)]) {
      expect(doc.size).toBe(units(content.ops));
      expect(doc.json()).toBe(stored.text);
      const change = new Delta().retain(1_000).delete(3);
      doc.apply(change);
      expect(doc.toDelta().ops).toEqual(content.compose(change).ops);
      expect(doc.toStored().layout).not.toBe(older);
    }
  });

  it('gives its JSON in parts, and a change leaves all but its own block\'s parts the same objects', () => {
    const content = new Delta();
    for (let i = 0; i < 5_000; i++) content.insert(`word ${i} `, i % 2 ? { bold: true } : undefined);
    for (const doc of [new ChunkedDocument(content, undefined, units), ChunkedDocument.fromStored(new ChunkedDocument(content).toStored(), undefined, units)]) {
      const before = doc.jsonParts();
      expect(`{"ops":[${before.map((p) => p.text).join(',')}]}`).toBe(doc.json());
      doc.apply(new Delta().retain(doc.length / 2).insert('x', { italic: true }));
      const after = doc.jsonParts();
      expect(`{"ops":[${after.map((p) => p.text).join(',')}]}`).toBe(doc.json());
      expect(JSON.parse(doc.json()).ops).toEqual(content.compose(new Delta().retain(content.length() / 2).insert('x', { italic: true })).ops);
      const kept = after.filter((p) => before.includes(p)).length;
      expect(kept).toBeGreaterThan(after.length - 3);
      expect(kept).toBeLessThan(after.length);
    }
  });

  it('writes ops that merge into one as JSON.stringify does, a surrogate pair they join included', () => {
    const long = 'z'.repeat(1_500);
    for (const [x, y] of [
      [`${long}\ud83d`, `\ude00${long}`],
      [`a"\\${long}`, `\n${long}\u0001`],
      ['\ud83d', '\ude00'],
    ]) {
      // Chunks of one op, blocks of two chunks: x and y meet in one block (chunk = 2) or across two (block = 2).
      const ops: DeltaOp[] = [{ insert: 'p', attributes: { bold: true } }, { insert: x! }, { insert: y! }, { insert: 'q', attributes: { bold: true } }, { insert: 'r', attributes: { italic: true } }, { insert: '\n' }];
      const expected = ops.reduce((d, op) => d.insert(op.insert as string, op.attributes), new Delta());
      for (const [chunk, block] of [[8, 32], [1, 2]]) {
        const doc = new ChunkedDocument(new Delta(ops.map((op) => ({ ...op }))), chunk, units, 4_096, block);
        expect(doc.json()).toBe(JSON.stringify({ ops: expected.ops }));
        expect(ChunkedDocument.fromStored(doc.toStored(), chunk, units, 4_096, block).size).toBe(units(expected.ops));
      }
    }
  });

  it('reads a stored long run back in pieces cut in its JSON, escapes and surrogate pairs kept whole', () => {
    const unit = fc.constantFrom('a', 'b', '\n', '"', '\\', '😀', '\ud83d', '\ude00', 'é', '\u0001');
    fc.assert(
      fc.property(
        fc.array(unit, { minLength: 1, maxLength: 300 }),
        fc.option(fc.constantFrom({ bold: true }, { link: 'https://example.com/"x"' }), { nil: undefined }),
        fc.constantFrom(2, 3, 7),
        fc.constantFrom(1, 8),
        fc.array(step, { maxLength: 5 }),
        (units16, attributes, piece, chunk, steps) => {
          let expected = new Delta().insert(units16.join(''), attributes);
          const stored = new ChunkedDocument(expected, chunk, units, piece).toStored();
          const read = ChunkedDocument.fromStored(stored, chunk, units, piece);
          for (const s of steps) {
            const change = changeAt(expected.length(), s);
            expected = expected.compose(change);
            read.apply(change);
          }
          expect(read.toDelta().ops).toEqual(expected.ops);
          expect(read.json()).toBe(JSON.stringify({ ops: read.toDelta().ops }));
          expect(ChunkedDocument.fromStored(read.toStored(), chunk, units, piece).size).toBe(units(expected.ops));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('parses the whole text when a stored layout does not fit it', () => {
    const doc = new ChunkedDocument(new Delta().insert('a', { bold: true }).insert('b\n'), 1, units);
    const { text } = doc.toStored();
    for (const layout of ['', '{"blocks":[[3,1,2,1,1]]}', '{"blocks":[[1,1,0,1,4],[99,1,0,2,2]]}', '{"blocks":[]}']) {
      const read = ChunkedDocument.fromStored({ text, layout }, 1, units);
      expect(read.toDelta().ops).toEqual(doc.toDelta().ops);
      expect(read.json()).toBe(text);
    }
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

  it('keeps clones independent whichever of them changes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), step), { maxLength: 80 }), fc.constantFrom(1, 2, 8), fc.constantFrom(2, 3), (steps, chunk, block) => {
        let a = new Delta().insert('one two three\n', { bold: true }).insert('four five\n');
        const docA = new ChunkedDocument(a, chunk, units, 4, block);
        docA.apply(new Delta().retain(3).insert('-'));
        a = a.compose(new Delta().retain(3).insert('-'));
        let b = a;
        const docB = docA.clone();
        for (const [left, s] of steps) {
          if (left) {
            const change = changeAt(a.length(), s);
            a = a.compose(change);
            docA.apply(change);
          } else {
            const change = changeAt(b.length(), s);
            b = b.compose(change);
            docB.apply(change);
          }
        }
        expect(JSON.parse(docA.json()).ops).toEqual(a.ops);
        expect(JSON.parse(docB.json()).ops).toEqual(b.ops);
        expect(docA.length).toBe(a.length());
        expect(docB.length).toBe(b.length());
      }),
      { numRuns: 300 },
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
