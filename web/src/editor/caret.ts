// Where my caret goes when someone else's change lands exactly on it.
// Quill would always keep it before the new text; that is right while I am
// typing there (my caret stays with my own text, and theirs goes after it),
// but wrong when their text already ended at my caret and they are simply
// typing on: then my caret rides along at the end of their words instead of
// splitting them the moment I type. Positions are Quill indexes.
import type { Delta } from '../sync/index.ts';

export interface Selection {
  index: number;
  length: number;
}

/**
 * Where the author of `change` goes on typing: the index right after its
 * last insert, in the document after the change; null if it inserts nothing.
 */
export function insertEnd(change: Delta): number | null {
  let index = 0;
  let end: number | null = null;
  for (const op of change.ops) {
    if (typeof op.retain === 'number') index += op.retain;
    else if (op.insert !== undefined) {
      index += typeof op.insert === 'string' ? op.insert.length : 1;
      end = index;
    }
  }
  return end;
}

/**
 * My selection after a remote `change`. `remoteEnd` is where the previous
 * remote insert ended (moved along with every change since), or null.
 * A caret on which an insert lands stays before it, unless the text just
 * before the caret is that same remote run (caret === remoteEnd). A range
 * never grows: inserts at either edge stay outside it.
 */
export function placeSelection(range: Selection, change: Delta, remoteEnd: number | null): Selection {
  if (range.length === 0) {
    const staysWithMine = range.index !== remoteEnd;
    return { index: change.transformPosition(range.index, staysWithMine), length: 0 };
  }
  const start = change.transformPosition(range.index, false);
  const end = change.transformPosition(range.index + range.length, true);
  return { index: start, length: Math.max(0, end - start) };
}

/** `remoteEnd` after a change: a remote change sets it to its own end; mine leave it before my text. */
export function moveRemoteEnd(remoteEnd: number | null, change: Delta, remote: boolean): number | null {
  if (remote) return insertEnd(change) ?? (remoteEnd === null ? null : change.transformPosition(remoteEnd, true));
  return remoteEnd === null ? null : change.transformPosition(remoteEnd, true);
}
