import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkedDocument } from '../../../protocol/chunked-document.ts';
import { Delta } from '../../../protocol/delta.ts';
import { holdsSurrogates, isStorable, splitsSurrogatePair } from './surrogate-pairs.ts';

const EMOJI = '\u{1F600}';

// Content: runs of text mixing ASCII and pairs, with formats that may change
// in the middle of a pair's neighbourhood, and embeds.
const piece = fc.constantFrom('a', 'b', EMOJI, '\u{1F44D}', 'é');
const run = fc.oneof(
  fc.record({ insert: fc.array(piece, { minLength: 1, maxLength: 4 }).map((p) => p.join('')), bold: fc.boolean() }),
  fc.constant({ insert: { image: 'x.png' }, bold: false }),
);
const contentArb = fc.array(run, { maxLength: 6 }).map((runs) => {
  const d = new Delta();
  for (const r of runs) d.insert(r.insert, r.bold ? { bold: true } : undefined);
  return d;
});

/** A change over `length` units: random runs that stay within it. */
const changeArb = (length: number) =>
  fc.array(fc.record({ kind: fc.constantFrom('retain', 'format', 'delete', 'insert'), n: fc.integer({ min: 1, max: 4 }) }), { maxLength: 5 }).map((steps) => {
    const d = new Delta();
    let left = length;
    for (const { kind, n } of steps) {
      if (kind === 'insert') d.insert('z');
      else if (left > 0) {
        const k = Math.min(n, left);
        left -= k;
        if (kind === 'delete') d.delete(k);
        else d.retain(k, kind === 'format' ? { italic: true } : undefined);
      }
    }
    return d;
  });

/** The rule by brute force: every place the change's runs meet, looked up in the flattened content. */
function bruteForce(content: Delta, change: Delta): boolean {
  const units = content.ops.map((op) => (typeof op.insert === 'string' ? op.insert : '\u0000')).join('');
  const inside = (p: number) => p > 0 && p < units.length && /[\uD800-\uDBFF]/.test(units[p - 1]!) && /[\uDC00-\uDFFF]/.test(units[p]!);
  let index = 0;
  for (const op of change.ops) {
    if (op.insert !== undefined) {
      if (inside(index)) return true;
      continue;
    }
    const n = (op.retain as number | undefined) ?? op.delete ?? 0;
    if (inside(index) || inside(index + n)) return true;
    index += n;
  }
  return false;
}

describe('surrogate pairs', () => {
  it('finds a cut inside a pair exactly where a brute-force lookup does, across op boundaries and embeds', () => {
    fc.assert(
      fc.property(
        contentArb.chain((content) => fc.tuple(fc.constant(content), changeArb(content.length()))),
        ([content, change]) => {
          expect(splitsSurrogatePair(content, change)).toBe(bruteForce(content, change));
          // The same through point lookups, in chunks (and blocks) of one or two ops, stored or not.
          const chunked = new ChunkedDocument(content, 1, undefined, 2, 2);
          expect(splitsSurrogatePair(chunked, change)).toBe(bruteForce(content, change));
          expect(splitsSurrogatePair(ChunkedDocument.fromStored(chunked.toStored(), 1, undefined, 2, 2), change)).toBe(bruteForce(content, change));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a change that cuts no pair of well-formed content leaves content that can be stored', () => {
    fc.assert(
      fc.property(
        contentArb.chain((content) => fc.tuple(fc.constant(content), changeArb(content.length()))),
        ([content, change]) => {
          if (!splitsSurrogatePair(content, change)) expect(isStorable(content.compose(change))).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('sees a pair whose halves sit in two ops of different formats', () => {
    const content = new Delta([{ insert: 'a\uD83D', attributes: { bold: true } }, { insert: '\uDE00b' }]);
    expect(isStorable(content)).toBe(false);
    expect(splitsSurrogatePair(content, new Delta().retain(2).insert('x'))).toBe(true);
    expect(splitsSurrogatePair(content, new Delta().retain(1).delete(2))).toBe(false);
  });

  it('knows text with no surrogate at all, and text that cannot be stored', () => {
    expect(holdsSurrogates(new Delta().insert('plain é').insert({ image: 'x' }).ops)).toBe(false);
    expect(holdsSurrogates(new Delta().insert(`a${EMOJI}`).ops)).toBe(true);
    expect(isStorable(new Delta().insert(`a${EMOJI}`))).toBe(true);
    expect(isStorable(new Delta().insert('a\u0000'))).toBe(false);
    expect(isStorable(new Delta().insert('\uDE00'))).toBe(false);
  });
});
