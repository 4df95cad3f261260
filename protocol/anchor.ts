// Comment anchors: a range of text that moves with the edits after it.
// The server and every client use this one rule, so a thread's range reads
// the same everywhere (docs/protocol.md, "Comment anchors").
//
// The rule is the one a client applies to a selection it holds: each edge
// is transformed as a position (quill-delta's transformPosition), the start
// with the lowest priority (an insert at the start goes before it) and the
// end with the highest (an insert at the end goes after it). So inserts at
// either edge never extend the range; inserts strictly inside do. A range
// whose characters are all deleted is detached (null) for good: nothing
// typed later, even at the same place, brings it back.
//
// Positions at the extremes of priority commute with the rebase rule
// (rebase.ts): a client that applies its own pending op first and the
// rebased remote op second gets the same range as the server that applies
// the log in order (tested in anchor.test.ts).
import type { Delta } from './delta.ts';

export interface AnchorRange {
  /** First character of the range, in Quill units. */
  index: number;
  /** Characters in the range, at least 1. */
  length: number;
}

/** `range` after `change`, or null once none of its characters is left. */
export function transformAnchor(range: AnchorRange | null, change: Delta): AnchorRange | null {
  if (!range) return null;
  // transformPosition(index, priority): with priority false, an insert AT
  // the index moves it right; with true, it stays.
  const start = change.transformPosition(range.index, false);
  const end = change.transformPosition(range.index + range.length, true);
  return end > start ? { index: start, length: end - start } : null;
}

/** `range` after each change of `changes`, in order (one at a time: composing them first could move the edges differently). */
export function transformAnchorThrough(range: AnchorRange | null, changes: Iterable<{ delta: Delta } | Delta>): AnchorRange | null {
  let current = range;
  for (const c of changes) {
    if (!current) return null;
    current = transformAnchor(current, 'delta' in c ? c.delta : c);
  }
  return current;
}
