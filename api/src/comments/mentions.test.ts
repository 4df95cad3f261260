// Mentions are read from the plain text: "@" and a member's name, ending
// where a word would.
import { describe, expect, it } from 'vitest';
import { mentionedIn } from './threads.ts';

const ann = { name: 'Ann' };
const anna = { name: 'Anna' };
const bob = { name: 'Bob Smith' };
const zoe = { name: 'Zoë' };

describe('mentionedIn', () => {
  it('finds members named after an @, in any case, and only whole names', () => {
    expect(mentionedIn('Thanks @ann, and @BOB SMITH.', [ann, anna, bob, zoe])).toEqual([ann, bob]);
    expect(mentionedIn('@Anna?', [ann, anna])).toEqual([anna]);
    expect(mentionedIn('@Annabel', [ann, anna])).toEqual([]);
    expect(mentionedIn('cc @zoë', [zoe])).toEqual([zoe]);
    expect(mentionedIn('@Zoëx @Ann', [zoe, ann])).toEqual([ann]);
  });

  it('finds nobody without an @, or with a name that is not a member', () => {
    expect(mentionedIn('Ann and Bob Smith', [ann, bob])).toEqual([]);
    expect(mentionedIn('mail ann@example.com', [ann])).toEqual([]);
    expect(mentionedIn('mail bob@ann.com', [ann])).toEqual([]);
    expect(mentionedIn('@carol', [ann, bob])).toEqual([]);
  });
});
