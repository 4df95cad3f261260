import { describe, expect, it } from 'vitest';
import { Delta } from '../../../protocol/delta.ts';
import { firstIndex, insertedRanges, redlineSegments, suggestionMarks } from './marks.ts';

describe('suggestionMarks', () => {
  it('gives the ranges a suggestion deletes and formats, and where it inserts, on the text it applies to', () => {
    const change = new Delta().retain(6).insert('there').delete(5).retain(3).retain(4, { bold: true });
    expect(suggestionMarks(change)).toEqual({ deletes: [{ index: 6, length: 5 }], formats: [{ index: 14, length: 4 }], inserts: [{ index: 6, text: 'there' }] });
    expect(firstIndex(suggestionMarks(change))).toBe(6);
  });

  it('keeps one insert marker per place, an embed included', () => {
    const change = new Delta().retain(2).insert('a').insert({ image: 'x.png' }).insert('b');
    expect(suggestionMarks(change).inserts).toEqual([{ index: 2, text: 'a\uFFFCb' }]);
  });
});

describe('insertedRanges', () => {
  it('gives what a draft inserted, in positions of the text after it', () => {
    const draft = new Delta().retain(2).insert('ab').delete(3).retain(1).insert('c');
    // "01234567" -> "01ab5c67": "ab" at 2, "c" at 5.
    expect(insertedRanges(draft)).toEqual([
      { index: 2, length: 2 },
      { index: 5, length: 1 },
    ]);
  });
});

describe('redlineSegments', () => {
  const content = new Delta().insert('The quick brown fox jumps over the lazy dog\n');

  it('shows inserts and deletes with some unchanged text around them', () => {
    const change = new Delta().retain(4).delete(6).insert('slow ');
    expect(redlineSegments(content, change, 8)).toEqual([
      { kind: 'same', text: 'The ' },
      { kind: 'ins', text: 'slow ' },
      { kind: 'del', text: 'quick ' },
      { kind: 'same', text: 'brown fo…' },
    ]);
  });

  it('cuts long unchanged text at both ends', () => {
    const change = new Delta().retain(35).insert('very ');
    expect(redlineSegments(content, change, 5)).toEqual([
      { kind: 'same', text: '… the ' },
      { kind: 'ins', text: 'very ' },
      { kind: 'same', text: 'lazy …' },
    ]);
  });
});
