import { describe, expect, it } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { DELETED, INSERTED, redline } from './redline.ts';

describe('redline', () => {
  it('marks inserted text, strikes deleted text and keeps the rest', () => {
    const before = new Delta().insert('Hello old world\n');
    const change = new Delta().retain(6).delete(4).insert('new ').retain(5, { bold: true });
    expect(redline(before, change).ops).toEqual([
      { insert: 'Hello ' },
      // quill-delta puts an insert before a delete at the same place.
      { insert: 'new ', attributes: INSERTED },
      { insert: 'old ', attributes: DELETED },
      { insert: 'world', attributes: { bold: true } },
      { insert: '\n' },
    ]);
  });

  it('applied to the text before, without marks, gives the text after', () => {
    const before = new Delta().insert('abc\n');
    const change = new Delta().retain(1).insert('X').delete(1);
    const marked = redline(before, change);
    const plain = marked.ops
      .filter((op) => (op.attributes as Record<string, unknown> | undefined)?.strike !== true)
      .map((op) => op.insert)
      .join('');
    expect(plain).toBe('aXc\n');
  });
});
