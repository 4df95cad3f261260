import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Delta, type DeltaOp } from '../../../protocol/delta.ts';
import { PendingBuffer } from './pending-buffer.ts';

const attributes = fc.option(fc.constantFrom({ bold: true }, { italic: true }, { bold: null }, { link: 'https://example.com' }), { nil: undefined });
const text = fc.string({ unit: fc.constantFrom('a', 'b', 'é', '\n', '😀'), minLength: 1, maxLength: 12 });

/** A change of a text of `length`: random runs of retain (plain or formatting), insert and delete, as an editor makes them. */
function change(length: number): fc.Arbitrary<Delta> {
  return fc.array(fc.tuple(fc.constantFrom('retain', 'format', 'insert', 'delete', 'embed'), fc.nat(20), text, attributes), { maxLength: 6 }).map((steps) => {
    const delta = new Delta();
    let left = length;
    for (const [kind, n, insert, attrs] of steps) {
      const take = Math.min(n, left);
      if (kind === 'retain' && take > 0) delta.retain(take);
      else if (kind === 'format' && take > 0) delta.retain(take, attrs ?? { bold: true });
      else if (kind === 'delete' && take > 0) delta.delete(take);
      else if (kind === 'insert') delta.insert(insert, attrs);
      else if (kind === 'embed') delta.insert({ image: 'https://example.com/x.png' });
      if (kind === 'retain' || kind === 'format' || kind === 'delete') left -= take;
    }
    return delta;
  });
}

const produced = (base: number, d: Delta) => base + d.changeLength();

/** A buffer and a sequence of changes, each applying to what the previous ones produce (over a text of `base`). */
const scenario = fc.nat(60).chain((base) =>
  fc.nat(40).chain((steps) => {
    let arb: fc.Arbitrary<{ length: number; changes: Delta[] }> = fc.constant({ length: base, changes: [] });
    for (let i = 0; i < steps; i++) {
      arb = arb.chain(({ length, changes }) => change(length).map((d) => ({ length: produced(length, d), changes: [...changes, d] })));
    }
    return arb.map(({ changes }) => ({ base, changes }));
  }),
);

describe('PendingBuffer', () => {
  it('composes exactly as quill-delta does, whatever the chunk bounds', () => {
    fc.assert(
      fc.property(scenario, fc.constantFrom([1, 1], [2, 3], [3, 8], [32, 1024]), ({ changes }, [maxOps, maxChars]) => {
        if (changes.length === 0) return;
        const buffer = new PendingBuffer(changes[0]!, maxOps, maxChars);
        let flat = changes[0]!;
        for (const d of changes.slice(1)) {
          buffer.compose(d);
          flat = flat.compose(d);
          expect(buffer.toDelta().ops).toEqual(flat.ops);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps long typing runs in bounded chunks and joins them back', () => {
    const buffer = new PendingBuffer(new Delta().retain(5), 4, 16);
    let flat = new Delta().retain(5);
    for (let i = 0; i < 500; i++) {
      const d = new Delta().retain(5 + i).insert(String.fromCharCode(97 + (i % 26)));
      buffer.compose(d);
      flat = flat.compose(d);
    }
    expect(buffer.toDelta().ops).toEqual(flat.ops);
    expect(buffer.toDelta().ops as DeltaOp[]).toEqual([{ retain: 5 }, { insert: flat.ops[1]!.insert }]);
  });
});
