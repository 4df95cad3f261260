// The rebase rule, in one place for the server and every client: an
// incoming change is transformed over the ops committed since its base, and
// at one position the committed op wins the tie (docs/protocol.md §6). The log is the
// order everyone already agreed on: text that is in it stays before an
// insert that arrives later, so the server (rebasing a submission) and a
// client (rebasing its pending ops over a streamed op) pick the same order
// without talking to each other. Changing the rule is an edit here only.
//
// One exception keeps a run of typing whole: a submission may name its
// `runEnd`, the position just after the text its writer's previous op
// inserted. At that one position its inserts go before a committed insert:
// that insert was placed there by losing a tie to the writer's previous op,
// and the writer's next keystrokes belong next to their first. Both sides
// know the position (the client sends it, and moves it over the ops it
// receives exactly as the server does), so the pair still agrees.
import { opLength, transform, type Delta } from './delta.ts';

/** The tie-break: `transform(committed, incoming, COMMITTED_WINS)` keeps committed inserts first. */
export const COMMITTED_WINS = true;

/**
 * `incoming` rebased over one `committed` op (committed inserts stay first
 * at equal positions, except at `runEnd`, where incoming's go first).
 */
export const transformOverCommitted = (committed: Delta, incoming: Delta, runEnd: number | null = null): Delta =>
  transform(committed, incoming, COMMITTED_WINS, runEnd);

/**
 * `committed` rebased over a change of ours that it did not see (a client's
 * pending op, sent with `runEnd`): the other half of the same rule, so that
 * pending ∘ transformCommittedOverPending(pending, committed, r) equals
 * committed ∘ transformOverCommitted(committed, pending, r).
 */
export const transformCommittedOverPending = (pending: Delta, committed: Delta, runEnd: number | null = null): Delta =>
  transform(pending, committed, !COMMITTED_WINS, runEnd);

/**
 * A run's end moved over a committed op: inserts at it stay after it (the
 * run ends where its writer's text ends), so it stays where the writer's
 * next insert should win the tie.
 */
export const moveRunEnd = (committed: Delta, runEnd: number | null): number | null =>
  runEnd === null ? null : committed.transformPosition(runEnd, true);

/**
 * Where a committed op of a writer leaves its run's end: just after the
 * last text it inserted, or the previous end moved over it (nothing inserted).
 */
export function runEndAfter(committed: Delta, previous: number | null): number | null {
  let position = 0;
  let end: number | null = null;
  for (const op of committed.ops) {
    if (op.delete !== undefined) continue;
    position += opLength(op);
    if (op.insert !== undefined) end = position;
  }
  return end ?? moveRunEnd(committed, previous);
}

/** `incoming` rebased over the ops committed since its base, in log order (`runEnd`: see above). */
export function rebase(incoming: Delta, committedSinceBase: readonly { delta: Delta }[], runEnd: number | null = null): Delta {
  let delta = incoming;
  let end = runEnd;
  for (const op of committedSinceBase) {
    delta = transformOverCommitted(op.delta, delta, end);
    end = moveRunEnd(op.delta, end);
  }
  return delta;
}
