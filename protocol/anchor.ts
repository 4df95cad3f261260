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
// The rule is applied to the log, in its order. A client's own order of
// edits can give another range: an insert it typed just inside an edge
// whose character someone else deleted meanwhile lands, in the log, at the
// edge, where it stays outside (anchor.test.ts). So a client holds a range
// at its server version, moves it over the server's ops, and shows it
// moved over its pending edits (web/src/team/placements.ts).
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

const RETAIN = 0;
const INSERT = 1;
const DELETE = 2;

/**
 * One change as transformPosition reads it: runs of retained (formatted or
 * not: a position does not care), inserted and deleted characters, with
 * the span where it changes anything. A position before `lead` stays, one
 * after `tail` moves by `net`; only positions in between walk the runs.
 */
interface PositionChange {
  kinds: Uint8Array;
  lengths: Float64Array;
  /** Characters retained before the first insert or delete. */
  lead: number;
  /** Where the last insert or delete ends, counted in characters before the change. */
  tail: number;
  /** Characters inserted minus characters deleted. */
  net: number;
}

function compile(change: Delta): PositionChange {
  const kinds: number[] = [];
  const lengths: number[] = [];
  let base = 0;
  let tail = 0;
  let net = 0;
  for (const op of change.ops) {
    let kind: number;
    let length: number;
    if (typeof op.delete === 'number') {
      kind = DELETE;
      length = op.delete;
    } else if (op.insert !== undefined) {
      kind = INSERT;
      length = typeof op.insert === 'string' ? op.insert.length : 1;
    } else {
      kind = RETAIN;
      length = typeof op.retain === 'number' ? op.retain : 1; // an embed's retain covers its one character
    }
    if (length <= 0) continue; // moves nothing (quill-delta steps over it the same way)
    if (kind === DELETE) base += length;
    else if (kind === RETAIN) base += length;
    if (kind !== RETAIN) {
      tail = base;
      net += kind === INSERT ? length : -length;
    }
    const last = kinds.length - 1;
    if (kind === RETAIN && last >= 0 && kinds[last] === RETAIN) lengths[last]! += length;
    else {
      kinds.push(kind);
      lengths.push(length);
    }
  }
  const lead = kinds[0] === RETAIN ? lengths[0]! : 0;
  return { kinds: Uint8Array.from(kinds), lengths: Float64Array.from(lengths), lead, tail, net };
}

/** quill-delta's transformPosition(index, priority) over a compiled change: the same loop, without an iterator per call. */
function movePosition(c: PositionChange, index: number, priority: boolean): number {
  if (index < c.lead) return index;
  if (index > c.tail) return index + c.net;
  const { kinds, lengths } = c;
  let offset = 0;
  for (let k = 0; k < kinds.length && offset <= index; k++) {
    const length = lengths[k]!;
    const kind = kinds[k];
    if (kind === DELETE) {
      index -= Math.min(length, index - offset);
      continue;
    }
    if (kind === INSERT && (offset < index || !priority)) index += length;
    offset += length;
  }
  return index;
}

/**
 * Moves many ranges over one list of changes, each range from its own
 * point in the list (where it was stored): transformAnchorThrough for each,
 * with every change read once for all of them instead of once per range
 * and edge. A document's 1,000 threads moved over 500 ops are a million
 * edge moves; most are a comparison or two here.
 */
export class AnchorMover {
  private readonly changes: readonly Delta[];
  private readonly compiled: Array<PositionChange | undefined>;
  constructor(changes: readonly Delta[]) {
    this.changes = changes;
    this.compiled = new Array<PositionChange | undefined>(changes.length);
  }

  /** `range` after changes[from], changes[from + 1], … to the end of the list. */
  move(range: AnchorRange | null, from = 0): AnchorRange | null {
    if (!range) return null;
    let start = range.index;
    let end = range.index + range.length;
    for (let k = from; k < this.changes.length; k++) {
      const c = (this.compiled[k] ??= compile(this.changes[k]!));
      start = movePosition(c, start, false);
      end = movePosition(c, end, true);
      if (end <= start) return null;
    }
    return { index: start, length: end - start };
  }
}
