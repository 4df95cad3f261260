// Suggestions (tracked changes): a proposed delta kept off the log, shown
// at the head. The server and every client use this one rule, so a
// suggestion reads the same everywhere (docs/protocol.md, "Suggestions").
//
// A suggestion made at version v is the pending op of a client that never
// sends it: each op committed after v moves it by the rebase rule
// (rebase.ts: the committed op wins ties), one op at a time, in log order.
// Stored at any version in between and moved on from there, it ends up the
// same (a left fold), which is what lets the server write a moved
// suggestion back only now and then.
//
// OUTDATED, exactly: the original delta deleted some characters and the
// rebased one deletes none, or the original formatted some characters
// (a retain with attributes) and the rebased one formats none. Its text is
// gone: others deleted every character it meant to delete or format.
// Inserts always keep a place, so a suggestion that only inserts never
// becomes OUTDATED; one whose text is only partly gone stays OPEN and acts
// on what is left. Once OUTDATED, always OUTDATED (like a detached anchor).
import type { Delta } from './delta.ts';
import { transformOverCommitted } from './rebase.ts';

/** Characters a delta deletes, and characters it formats (retains with attributes). */
export function reach(delta: Delta): { deletes: number; formats: number } {
  let deletes = 0;
  let formats = 0;
  for (const op of delta.ops) {
    if (typeof op.delete === 'number') deletes += op.delete;
    else if (typeof op.retain === 'number' && op.attributes && Object.keys(op.attributes).length > 0) formats += op.retain;
  }
  return { deletes, formats };
}

/** Whether a delta changes anything at all (an insert, a delete or a format). */
export function changesSomething(delta: Delta): boolean {
  const { deletes, formats } = reach(delta);
  return deletes > 0 || formats > 0 || delta.ops.some((op) => op.insert !== undefined);
}

/** Whether `rebased` (the original moved over later ops) has lost all the text the original deleted, or all it formatted. */
export function isOutdated(original: Delta, rebased: Delta): boolean {
  const before = reach(original);
  const after = reach(rebased);
  return (before.deletes > 0 && after.deletes === 0) || (before.formats > 0 && after.formats === 0);
}

/**
 * `current` (the suggestion as stored, at some version) moved over
 * `committed` (every op after that version, in log order), and whether it
 * is OUTDATED judged against `original` (the delta as suggested).
 */
export function moveSuggestion(original: Delta, current: Delta, committed: Iterable<{ delta: Delta } | Delta>): { delta: Delta; outdated: boolean } {
  let delta = current;
  for (const c of committed) {
    delta = transformOverCommitted('delta' in c ? c.delta : c, delta);
  }
  // Checked once, at the end: a transform never brings back a delete or a format it lost.
  return { delta, outdated: isOutdated(original, delta) };
}
