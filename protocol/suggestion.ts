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
import { Delta, type DeltaOp } from './delta.ts';
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
  const changes = Array.from(committed, (c) => ('delta' in c ? c.delta : c));
  return new SuggestionMover(changes).move(original, current);
}

/**
 * A committed op as the fast paths below read it: where it starts and
 * stops changing anything (an insert, a delete, or a format), counted in
 * characters before it, and what it adds to the length. Null when it holds
 * something transform() would have to judge (an embed's retain, an empty
 * op): such an op always takes the full transform.
 */
interface Span {
  /** Characters retained, unformatted, before its first change. */
  lead: number;
  /** Where its last change ends (an insert there ends where it stands). */
  tail: number;
  /** Characters inserted minus characters deleted. */
  net: number;
}

function spanOf(change: Delta): Span | null {
  let base = 0;
  let lead = -1;
  let tail = 0;
  let net = 0;
  for (const op of change.ops) {
    if (typeof op.delete === 'number') {
      if (!(op.delete > 0)) return null;
      if (lead < 0) lead = base;
      base += op.delete;
      tail = base;
      net -= op.delete;
    } else if (op.insert !== undefined) {
      const n = typeof op.insert === 'string' ? op.insert.length : 1;
      if (n === 0) return null;
      if (lead < 0) lead = base;
      tail = base;
      net += n;
    } else {
      if (typeof op.retain !== 'number' || !(op.retain > 0)) return null;
      const formats = op.attributes !== undefined;
      if (formats && lead < 0) lead = base;
      base += op.retain;
      if (formats) tail = base;
    }
  }
  return { lead: lead < 0 ? base : lead, tail, net };
}

const isPlainRetain = (op: DeltaOp | undefined): op is { retain: number } => op !== undefined && typeof op.retain === 'number' && op.attributes === undefined;

const sameFormats = (a: DeltaOp['attributes'], b: DeltaOp['attributes']): boolean => {
  if (a === b) return true;
  if (!a || !b) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
};

/**
 * Whether `ops` is in the one form transform() gives its result in, so
 * that a fast path may hand it back with its leading retain changed: every
 * op non-empty, formats non-empty and scalar, no two neighbours that would
 * merge, no insert after a delete, no embed retain, no plain retain at the
 * end. The result of transform() always is (or the next op takes the full
 * transform, which makes it so).
 */
function isCanonical(ops: readonly DeltaOp[]): boolean {
  let previous: DeltaOp | undefined;
  for (const op of ops) {
    const attributes = op.attributes;
    if (attributes !== undefined) {
      if (attributes === null || typeof attributes !== 'object' || op.delete !== undefined) return false;
      const values = Object.values(attributes);
      if (values.length === 0 || values.some((v) => typeof v === 'object' && v !== null)) return false;
    }
    if (typeof op.delete === 'number') {
      if (!(op.delete > 0) || (previous && typeof previous.delete === 'number')) return false;
    } else if (op.insert !== undefined) {
      if (typeof op.insert === 'string' ? op.insert.length === 0 : typeof op.insert !== 'object' || op.insert === null) return false;
      if (previous && typeof previous.delete === 'number') return false;
      if (previous && typeof op.insert === 'string' && typeof previous.insert === 'string' && sameFormats(op.attributes, previous.attributes)) return false;
    } else {
      if (typeof op.retain !== 'number' || !(op.retain > 0)) return false;
      if (previous && typeof previous.retain === 'number' && sameFormats(op.attributes, previous.attributes)) return false;
    }
    previous = op;
  }
  return !isPlainRetain(previous);
}

/**
 * Moves many suggestions over one list of committed ops, each from its own
 * point in the list (where it was stored): the same left fold of
 * transformOverCommitted as moveSuggestion, but most steps skip the
 * transform. A suggestion acts on a stretch of the text; an op that
 * changes nothing after the start of that stretch only moves it (its
 * leading retain grows or shrinks by what the op adds), and an op that
 * changes nothing before its end leaves it as it is, which is what the
 * transform would give. Only ops that meet the stretch are transformed.
 * (A suggestion is typically a few ops at one place, and so is an op: of a
 * document's 200 suggestions moved over 500 ops, nearly every step is a
 * comparison.)
 */
export class SuggestionMover {
  private readonly changes: readonly Delta[];
  private readonly spans: Array<Span | null | undefined>;
  constructor(changes: readonly Delta[]) {
    this.changes = changes;
    this.spans = new Array<Span | null | undefined>(changes.length);
  }

  /** `current` after changes[from], changes[from + 1], …, and whether it is OUTDATED judged against `original`. */
  move(original: Delta, current: Delta, from = 0): { delta: Delta; outdated: boolean } {
    let delta = current;
    // `delta` is `lead` characters retained, then `rest`; it acts on characters before `reach`.
    let rest: readonly DeltaOp[] = [];
    let lead = 0;
    let reach = 0;
    let fast = false;
    const unpack = () => {
      const ops = delta.ops;
      fast = isCanonical(ops);
      if (!fast) return;
      lead = isPlainRetain(ops[0]) ? ops[0].retain : 0;
      rest = lead > 0 ? ops.slice(1) : ops;
      reach = baseLength(ops);
    };
    unpack();
    let moved = false;
    for (let k = from; k < this.changes.length; k++) {
      const change = this.changes[k]!;
      const span = this.spans[k] === undefined ? (this.spans[k] = spanOf(change)) : this.spans[k]!;
      if (fast && span) {
        // Nothing left to move: every op of transform()'s result would be a retain, dropped at the end.
        if (rest.length === 0) continue;
        // It changes nothing up to the end of the stretch: the transform hands the suggestion back.
        if (span.lead > reach) continue;
        // It changes nothing past the start of the stretch (an insert right there goes first: the committed op wins the tie).
        if (span.tail <= lead) {
          if (span.net !== 0) {
            lead += span.net;
            reach += span.net;
            moved = true;
          }
          continue;
        }
      }
      if (moved) delta = new Delta(lead > 0 ? [{ retain: lead }, ...rest] : [...rest]);
      moved = false;
      delta = transformOverCommitted(change, delta);
      unpack();
    }
    if (moved) delta = new Delta(lead > 0 ? [{ retain: lead }, ...rest] : [...rest]);
    // Checked once, at the end: a transform never brings back a delete or a format it lost.
    return { delta, outdated: isOutdated(original, delta) };
  }
}

/** Characters a delta reads from the text it applies to (its retains and deletes). */
function baseLength(ops: readonly DeltaOp[]): number {
  let n = 0;
  for (const op of ops) {
    if (typeof op.delete === 'number') n += op.delete;
    else if (typeof op.retain === 'number') n += op.retain;
    else if (op.retain !== undefined) n += 1;
  }
  return n;
}
