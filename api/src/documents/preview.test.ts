import { describe, expect, it } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { previewOf } from './preview.ts';

describe('previewOf', () => {
  it('joins lines with spaces and leaves embeds out', () => {
    expect(previewOf(new Delta().insert('Title\n').insert({ image: 'x' }).insert('  Body\n\ntext\n'))).toBe('Title Body text');
  });

  it('cuts long text to the limit with an ellipsis, never inside a surrogate pair', () => {
    const text = '😀'.repeat(200);
    const preview = previewOf(new Delta().insert(text + '\n'), 10);
    expect(Array.from(preview)).toHaveLength(10);
    expect(preview).toBe('😀'.repeat(9) + '…');
  });

  it('reads past long runs of white space and long words, in one insert or across inserts', () => {
    const word = 'x'.repeat(1_000);
    expect(previewOf(new Delta().insert('a' + ' '.repeat(1_000_000) + 'b\n'))).toBe('a b');
    expect(previewOf(new Delta().insert('a  ').insert({ image: 'x' }).insert('\n b\n'))).toBe('a b');
    expect(previewOf(new Delta().insert(word + '\n'), 10)).toBe('x'.repeat(9) + '…');
    expect(previewOf(new Delta().insert('ab'.repeat(100_000) + '\n'), 5)).toBe('abab…');
  });

  it('is empty for an empty document', () => {
    expect(previewOf(new Delta().insert('\n'))).toBe('');
  });
});
