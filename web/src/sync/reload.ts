// After SNAPSHOT_REQUIRED: the server no longer keeps the ops between the
// version our pending edits were made on and its head, so they cannot be
// rebased through its log. What we still have is the content they were made
// on (`base`) and the head's content (`fresh`): the diff between the two
// stands for every op we missed, and the pending edits are transformed over
// it like over any remote op. An insertion always survives a transform, so
// no text the person typed is lost; a deletion or format of text that is
// gone from the head goes with that text, as it would have over the real ops.
import { transform, type Delta } from '../../../protocol/delta.ts';

/** `pending` (made on `base`) moved onto `fresh`; null when there is nothing to move. */
export function carryOver(base: Delta, fresh: Delta, pending: Delta | null): Delta | null {
  if (!pending) return null;
  // The head's text goes first where both inserted at one spot, as a committed op's does.
  return transform(base.diff(fresh), pending, true);
}
