// Where a comment's mentions are, for clients to mark them: the same rule
// the server lists Comment.mentions by (api/src/comments/mentions.test.ts).
import { describe, expect, it } from 'vitest';
import { mentionRanges } from './mentions.ts';

describe('mentionRanges', () => {
  it('marks each mention where it is written, the longer name where two match at one @', () => {
    const body = 'Thanks @ann, and @BOB SMITH; cc @Bob. Not ann@example.com or @Annabel';
    expect(mentionRanges(body, ['Ann', 'Bob', 'Bob Smith', 'Carol'])).toEqual([
      { index: body.indexOf('@ann'), length: 4, name: 'Ann' },
      { index: body.indexOf('@BOB'), length: 10, name: 'Bob Smith' },
      { index: body.indexOf('@Bob.'), length: 4, name: 'Bob' },
    ]);
  });

  it('counts in UTF-16 code units, as the text is written (a letter outside the BMP is one name)', () => {
    const body = '😀 @𝒜da: see @zoë';
    expect(mentionRanges(body, ['𝒜da', 'Zoë'])).toEqual([
      { index: body.indexOf('@𝒜'), length: 1 + '𝒜da'.length, name: '𝒜da' },
      { index: body.indexOf('@zoë'), length: 4, name: 'Zoë' },
    ]);
    expect(mentionRanges('@𝒜dab', ['𝒜da'])).toEqual([]);
    expect(mentionRanges('no at sign', ['Ann'])).toEqual([]);
    expect(mentionRanges('@', [''])).toEqual([]);
  });
});
