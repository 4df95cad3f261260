import { describe, expect, it } from 'vitest';
import { Delta } from '../sync/index.ts';
import { insertEnd, moveRemoteEnd, placeSelection } from './caret.ts';

const insertAt = (index: number, s: string) => new Delta().retain(index).insert(s);

describe('placeSelection (my selection after a remote change)', () => {
  it('keeps my caret with my own text when a remote insert lands exactly on it', () => {
    // I typed up to index 5; someone's text arrives at 5: it goes after my caret.
    expect(placeSelection({ index: 5, length: 0 }, insertAt(5, 'xyz'), null)).toEqual({ index: 5, length: 0 });
    expect(placeSelection({ index: 5, length: 0 }, insertAt(5, 'xyz'), 2)).toEqual({ index: 5, length: 0 });
  });

  it('lets my caret ride along at the end of someone else’s run that ended on it', () => {
    // Their last insert ended at 5, where my caret is: their next letters push it on.
    expect(placeSelection({ index: 5, length: 0 }, insertAt(5, 'xyz'), 5)).toEqual({ index: 8, length: 0 });
  });

  it('moves my caret past inserts before it and not past inserts after it', () => {
    expect(placeSelection({ index: 5, length: 0 }, insertAt(2, 'ab'), null)).toEqual({ index: 7, length: 0 });
    expect(placeSelection({ index: 5, length: 0 }, insertAt(6, 'ab'), null)).toEqual({ index: 5, length: 0 });
    expect(placeSelection({ index: 5, length: 0 }, new Delta().retain(1).delete(2), null)).toEqual({ index: 3, length: 0 });
  });

  it('never grows a selected range with inserts at its edges', () => {
    expect(placeSelection({ index: 2, length: 3 }, insertAt(2, 'ab'), null)).toEqual({ index: 4, length: 3 });
    expect(placeSelection({ index: 2, length: 3 }, insertAt(5, 'ab'), null)).toEqual({ index: 2, length: 3 });
    expect(placeSelection({ index: 2, length: 3 }, insertAt(3, 'ab'), null)).toEqual({ index: 2, length: 5 });
  });
});

describe('remoteEnd (where the last remote insert ended)', () => {
  it('is the end of the last insert of a remote change', () => {
    expect(insertEnd(insertAt(3, 'ab'))).toBe(5);
    expect(insertEnd(new Delta().retain(1).insert('a').retain(4).insert({ image: 'https://example.com/a.png' }))).toBe(7);
    expect(insertEnd(new Delta().retain(1).delete(1))).toBeNull();
  });

  it('follows remote changes, and stays before my own text typed right there', () => {
    expect(moveRemoteEnd(null, insertAt(3, 'ab'), true)).toBe(5);
    expect(moveRemoteEnd(5, new Delta().retain(1).delete(1), true)).toBe(4);
    expect(moveRemoteEnd(5, insertAt(5, 'me'), false)).toBe(5);
    expect(moveRemoteEnd(5, insertAt(1, 'me'), false)).toBe(7);
    expect(moveRemoteEnd(null, insertAt(1, 'me'), false)).toBeNull();
  });
});
