// A document (a delta of inserts) that takes small changes cheaply. Kept as
// one array, every change copies or scans all of its ops: on a busy document
// (thousands of formatted runs, dozens of ops a second from others) that was
// most of a client's time, and the server's head did the same per commit.
// Here the ops live in chunks of about CHUNK ops with their lengths: a
// change finds its chunk by the lengths and rewrites only that chunk, and
// the whole delta is built only when someone reads it.
import { applyChangeOps, Delta, insertLength, type DeltaOp } from './delta.ts';

/**
 * Ops per chunk: a change costs ~(ops / chunk) length reads + one chunk
 * rewritten. In a process following a busy document, where each change
 * meets a cold chunk, 8 measured ~20 % faster per change than 16 (4 was no
 * better than 8, with twice the chunks).
 */
const CHUNK = 8;

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
  constructor(content: Delta = new Delta(), chunk = CHUNK, measure?: OpsMeasure) {
    this.chunk = chunk;
    this.measure = measure;
    this.built = content;
    this.fill(0, 0, content.ops.slice()); // chunks are ours: the caller's array may change
    if (measure) this.measured = measure(content.ops);
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
    for (const chunk of this.chunks) {
      if (chunk.length === 0) continue;
      doc.push(chunk[0]!); // merges with the previous chunk's last op where it can
      for (let k = 1; k < chunk.length; k++) doc.ops.push(chunk[k]!);
    }
    this.built = doc;
    return doc;
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
    const updated = applyChangeOps(region, ops, offset);
    if (updated === region) return; // plain retains
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
    const joined = new Delta(this.chunks[k]).concat(new Delta(this.chunks[k + 1])).ops;
    if (joined.length > 2 * this.chunk) return;
    // Joining may merge the two ops that meet (one copy of their attributes goes).
    if (this.measure) this.measured += this.measure(joined) - this.measure(this.chunks[k]!) - this.measure(this.chunks[k + 1]!);
    this.chunks.splice(k, 2, joined);
    this.lengths.splice(k, 2, this.lengths[k]! + this.lengths[k + 1]!);
  }
}
