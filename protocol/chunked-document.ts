// A document (a delta of inserts) that takes small changes cheaply. Kept as
// one array, every change copies or scans all of its ops: on a busy document
// (thousands of formatted runs, dozens of ops a second from others) that was
// most of a client's time, and the server's head did the same per commit.
// Here the ops live in chunks of about CHUNK ops with their lengths: a
// change finds its chunk by the lengths and rewrites only that chunk, and
// the whole delta is built only when someone reads it.
import { applyChangeOps, Delta, insertLength, pushOp, type DeltaOp } from './delta.ts';

/**
 * Ops per chunk: a change costs ~(ops / chunk) length reads + one chunk
 * rewritten. In a process following a busy document, where each change
 * meets a cold chunk, 8 measured ~20 % faster per change than 16 (4 was no
 * better than 8, with twice the chunks).
 */
const CHUNK = 8;

/**
 * UTF-16 units of text one op holds at most inside the chunks. A long run of
 * one format (a pasted chapter, a plain-text import, a 400 KB agent edit)
 * would otherwise be one op, and every change inside it would copy and
 * measure the whole run: a keystroke into a 5 MB plain document re-measured
 * 5 MB. Cut into pieces, a change rewrites at most a chunk of pieces;
 * toDelta() joins them again.
 */
const PIECE = 4_096;

/** Whether a UTF-16 unit is the first half of a surrogate pair. */
const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;

const lengthOf = (ops: readonly DeltaOp[]): number => {
  let n = 0;
  for (const op of ops) n += insertLength(op);
  return n;
};

/** A size of ops (e.g. bytes); only `apply`'s rewritten region is measured again. */
export type OpsMeasure = (ops: readonly DeltaOp[]) => number;

export class ChunkedDocument {
  /** Canonical within a chunk; two chunks may meet where one op would do (toDelta() joins them). */
  private chunks: DeltaOp[][] = [];
  private lengths: number[] = [];
  private total = 0;
  private built: Delta | null;
  /** measure(all ops), kept up to date from the region each change rewrites. */
  private measured = 0;

  /**
   * `chunk`: ops per chunk (tests make it tiny to split and join often).
   * `measure`: a size to keep (the server's byte size), read as `size`: the
   * measure of the chunks, so two ops that only a chunk boundary keeps
   * apart (toDelta() joins them) count apart.
   */
  private readonly chunk;
  private readonly measure?: OpsMeasure;
  /** `piece`: UTF-16 units per text op at most (PIECE; tests make it tiny). */
  private readonly piece;
  constructor(content: Delta = new Delta(), chunk = CHUNK, measure?: OpsMeasure, piece = PIECE) {
    this.chunk = chunk;
    this.measure = measure;
    this.piece = Math.max(2, piece); // 2: a surrogate pair is never cut
    this.built = content;
    const ops = this.cut(content.ops);
    this.fill(0, 0, ops === content.ops ? ops.slice() : ops); // chunks are ours: the caller's array may change
    if (measure) this.measured = measure(ops);
  }

  /** Length in Quill units (characters, 1 per embed). */
  get length(): number {
    return this.total;
  }

  /** `measure` of the whole document (0 without one). */
  get size(): number {
    return this.measured;
  }

  /** The document as one canonical delta (the same object until the next change). */
  toDelta(): Delta {
    if (this.built) return this.built;
    const doc = new Delta();
    // Merged where compose would merge: the pieces of a long run, and ops that meet at a chunk boundary.
    for (const chunk of this.chunks) for (const op of chunk) if (!pushOp(doc.ops, op)) doc.push(op);
    this.built = doc;
    return doc;
  }

  /**
   * The first ops, as they are kept (pieces not joined), until they hold at
   * least `units`: reading the start of a long document without building
   * (and, once read, copying) the whole of it. Not canonical: neighbouring
   * ops may share their attributes.
   */
  opening(units: number): DeltaOp[] {
    const ops: DeltaOp[] = [];
    let held = 0;
    for (const chunk of this.chunks) {
      for (const op of chunk) {
        if (held >= units) return ops;
        ops.push(op);
        held += insertLength(op);
      }
    }
    return ops;
  }

  /**
   * The content as it is now, as JSON whose `ops` are built on first read
   * (a save that is overtaken by the next one never builds them).
   */
  frozenJSON(): { readonly ops: DeltaOp[] } {
    const copy = this.built ? null : this.clone();
    let ops = this.built?.ops;
    return {
      get ops() {
        return (ops ??= copy!.toDelta().ops);
      },
    };
  }

  /** A copy that changes independently (chunks are copied, ops are shared: ops are never changed in place). */
  clone(): ChunkedDocument {
    const copy = new ChunkedDocument(new Delta(), this.chunk, this.measure);
    copy.chunks = this.chunks.slice();
    copy.lengths = this.lengths.slice();
    copy.total = this.total;
    copy.measured = this.measured;
    copy.built = this.built;
    return copy;
  }

  /** `ops` with every text insert longer than a piece cut into pieces (the same array when none is). */
  private cut(ops: DeltaOp[]): DeltaOp[] {
    const piece = this.piece;
    let k = 0;
    while (k < ops.length && !(typeof ops[k]!.insert === 'string' && (ops[k]!.insert as string).length > piece)) k++;
    if (k === ops.length) return ops;
    const out = ops.slice(0, k);
    for (; k < ops.length; k++) {
      const op = ops[k]!;
      const text = op.insert;
      if (typeof text !== 'string' || text.length <= piece) {
        out.push(op);
        continue;
      }
      for (let at = 0; at < text.length; ) {
        let end = Math.min(at + piece, text.length);
        if (end < text.length && isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
        const insert = text.slice(at, end);
        out.push(op.attributes ? { insert, attributes: op.attributes } : { insert });
        at = end;
      }
    }
    return out;
  }

  /** Applies `change` (as `toDelta().compose(change)` would). */
  apply(change: Delta): void {
    const ops = change.ops;
    const lead = ops[0];
    const start = lead && typeof lead.retain === 'number' && !lead.attributes ? lead.retain : 0;
    const first = start > 0 ? 1 : 0;
    // The span the change covers, and how much it grows the document.
    let end = start;
    let growth = 0;
    for (let k = first; k < ops.length; k++) {
      const op = ops[k]!;
      if (op.insert !== undefined) growth += insertLength(op);
      else {
        const length = Delta.Op.length(op);
        end += length;
        if (op.delete !== undefined) growth -= length;
      }
    }

    // Chunks [from, to] hold [offset, end) and start at or before `start`
    // (the last chunk takes changes at the very end). Searched from the
    // nearer end of the document.
    const lengths = this.lengths;
    const count = lengths.length;
    let from: number;
    let offset: number;
    if (count === 0 || start < this.total / 2) {
      from = 0;
      offset = 0;
      while (from < count - 1 && offset + lengths[from]! <= start) offset += lengths[from++]!;
    } else {
      from = count - 1;
      offset = this.total - (lengths[from] ?? 0);
      while (from > 0 && offset > start) offset -= lengths[--from]!;
    }
    let to = from;
    let covered = offset + (lengths[from] ?? 0);
    while (to < count - 1 && covered < end) covered += lengths[++to]!;

    const region = to === from ? (this.chunks[from] ?? []) : this.chunks.slice(from, to + 1).flat();
    const composed = applyChangeOps(region, ops, offset);
    if (composed === region) return; // plain retains
    const updated = this.cut(composed);
    if (this.measure) this.measured += this.measure(updated) - this.measure(region);
    this.fill(from, Math.min(to - from + 1, count), updated, covered - offset + growth);
    this.built = null;
  }

  /**
   * Replaces `remove` chunks at `at` with `ops`, cut into chunks (a small one
   * joins its neighbour); `length` is the ops' length when the caller knows it.
   */
  private fill(at: number, remove: number, ops: DeltaOp[], length?: number): void {
    if (ops.length > 0 && ops.length <= 2 * this.chunk && remove === 1 && length !== undefined) {
      // The usual change: one chunk rewritten in place.
      this.total += length - this.lengths[at]!;
      this.chunks[at] = ops;
      this.lengths[at] = length;
    } else {
      const chunks: DeltaOp[][] = [];
      if (ops.length <= 2 * this.chunk) {
        if (ops.length > 0) chunks.push(ops);
      } else {
        for (let k = 0; k < ops.length; k += this.chunk) chunks.push(ops.slice(k, k + this.chunk));
      }
      const lengths = chunks.map(lengthOf);
      for (let k = at; k < at + remove; k++) this.total -= this.lengths[k]!;
      for (const n of lengths) this.total += n;
      this.chunks.splice(at, remove, ...chunks);
      this.lengths.splice(at, remove, ...lengths);
      if (chunks.length !== 1) return;
    }
    // Deletions shrink chunks; keep them from turning into many tiny ones.
    if (this.chunks[at]!.length < this.chunk / 4) this.joinWithNext(at + 1 < this.chunks.length ? at : at - 1);
  }

  private joinWithNext(k: number): void {
    if (k < 0 || k + 1 >= this.chunks.length) return;
    const joined = this.cut(new Delta(this.chunks[k]).concat(new Delta(this.chunks[k + 1])).ops);
    if (joined.length > 2 * this.chunk) return;
    // Joining may merge the two ops that meet (one copy of their attributes goes).
    if (this.measure) this.measured += this.measure(joined) - this.measure(this.chunks[k]!) - this.measure(this.chunks[k + 1]!);
    this.chunks.splice(k, 2, joined);
    this.lengths.splice(k, 2, this.lengths[k]! + this.lengths[k + 1]!);
  }
}
