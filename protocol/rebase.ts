// The rebase rule, in one place for the server and every client: an
// incoming change is transformed over the ops committed since its base, and
// at one position the committed op wins the tie (docs/protocol.md §6). The log is the
// order everyone already agreed on: text that is in it stays before an
// insert that arrives later, so the server (rebasing a submission) and a
// client (rebasing its pending ops over a streamed op) pick the same order
// without talking to each other. Changing the rule is an edit here only.
import { transform, type Delta } from './delta.ts';

/** The tie-break: `transform(committed, incoming, COMMITTED_WINS)` keeps committed inserts first. */
export const COMMITTED_WINS = true;

/** `incoming` rebased over one `committed` op (committed inserts stay first at equal positions). */
export const transformOverCommitted = (committed: Delta, incoming: Delta): Delta => transform(committed, incoming, COMMITTED_WINS);

/**
 * `committed` rebased over a change of ours that it did not see (a client's
 * pending op): the other half of the same rule, so that
 * pending ∘ transformCommittedOverPending(pending, committed) equals
 * committed ∘ transformOverCommitted(committed, pending).
 */
export const transformCommittedOverPending = (pending: Delta, committed: Delta): Delta => transform(pending, committed, !COMMITTED_WINS);

/** `incoming` rebased over the ops committed since its base, in log order. */
export function rebase(incoming: Delta, committedSinceBase: readonly { delta: Delta }[]): Delta {
  let delta = incoming;
  for (const op of committedSinceBase) delta = transformOverCommitted(op.delta, delta);
  return delta;
}
