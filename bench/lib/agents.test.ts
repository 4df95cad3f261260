// The fairness agents' edits: blocks keep their size, so every agent's
// block stays where it was, whatever the others and the person do after them.
import { describe, expect, it } from 'vitest';
import { Delta } from '../../web/src/sync/index.ts';
import { blockDelta, blockText } from './agents.ts';

const text = (d: Delta) => d.ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('');

describe('fairness agents', () => {
  it('write blocks of exactly the size asked, different on every pass', () => {
    expect(blockText(400_000, 0)).toHaveLength(400_000);
    expect(blockText(1_000, 1)).not.toBe(blockText(1_000, 2));
  });

  it('set up block k at k × size (highest first, each at the start), then replace each in place', () => {
    const size = 50;
    let doc = new Delta([{ insert: 'the person types here\n' }]);
    for (const slot of [2, 1, 0]) doc = doc.compose(new Delta(blockDelta(slot, size, blockText(size, slot), false)));
    for (const slot of [0, 1, 2]) expect(text(doc).slice(slot * size, (slot + 1) * size)).toBe(blockText(size, slot));

    doc = doc.compose(new Delta(blockDelta(1, size, blockText(size, 7), true)));
    expect(text(doc)).toBe(blockText(size, 0) + blockText(size, 7) + blockText(size, 2) + 'the person types here\n');
  });
});
