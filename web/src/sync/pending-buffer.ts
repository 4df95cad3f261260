// The local edits made while an op is in flight, composed into one change.
// Kept as one delta, each keystroke composed into it cost time that grew
// with the buffer (quill-delta's compose walks and copies the ops before the
// edit, and slices long inserts): a client typing a long trace through a
// wait spent 40 s of CPU composing. Here the change lives in chunks, each
// with the length of what it produces; a keystroke finds its chunk from the
// last one it touched (people type near where they typed) and composes
// into that chunk alone, so it costs the same whatever the buffer holds.
// The whole delta is built when it is read: once per send, not per key.
import { Delta, insertLength, type DeltaOp } from '../../../protocol/delta.ts';

/** Chunk bounds: past either, a chunk is split in two (ops, and characters of its inserts). */
const MAX_OPS = 32;
const MAX_CHARS = 1024;

/** Length of what an op produces (an insert, or the text a retain keeps); a delete produces nothing. */
const outputLength = (op: DeltaOp): number =>
  op.insert !== undefined ? insertLength(op) : typeof op.retain === 'number' ? op.retain : op.retain !== undefined ? 1 : 0;

const lengthOf = (ops: readonly DeltaOp[]): number => {
  let n = 0;
  for (const op of ops) n += outputLength(op);
  return n;
};

export class PendingBuffer {
  /** Each chunk is canonical; two chunks may meet where one op would do (toDelta() joins them). */
  private chunks: DeltaOp[][];
  /** What each chunk produces. The last chunk also stands for the text after it (left as is). */
  private lengths: number[];
  /** The chunk touched last and where its output starts. */
  private at = 0;
  private atStart = 0;
  private built: Delta | null;
  private readonly maxOps: number;
  private readonly maxChars: number;

  /** `maxOps`/`maxChars`: chunk bounds (tests make them tiny to split and join often). */
  constructor(change: Delta, maxOps = MAX_OPS, maxChars = MAX_CHARS) {
    this.maxOps = maxOps;
    this.maxChars = maxChars;
    this.chunks = [change.ops.slice()];
    this.lengths = [lengthOf(change.ops)];
    this.built = change;
    this.split(0);
  }

  /** Composes `change` (an edit of what this buffer produces) into it. */
  compose(change: Delta): void {
    // An embed's own change (a retain of an object): rare, composed the plain way.
    if (change.ops.some((op) => op.retain !== undefined && typeof op.retain !== 'number')) return this.composeWhole(change);
    this.built = null;
    let pos = 0;
    for (const op of change.ops) {
      if (typeof op.retain === 'number' && !op.attributes) {
        pos += op.retain;
      } else {
        this.composeAt(pos, op);
        if (op.delete === undefined) pos += outputLength(op);
      }
    }
  }

  /** The whole change as one delta. */
  toDelta(): Delta {
    if (this.built) return this.built;
    const delta = new Delta();
    for (const chunk of this.chunks) for (const op of chunk) delta.push(op);
    this.built = delta.chop();
    return this.built;
  }

  /** `op` (an insert, a delete, or a retain with attributes) at output position `pos`. */
  private composeAt(pos: number, op: DeltaOp): void {
    this.seek(pos);
    const first = this.at;
    let last = first;
    // What the op covers must lie in one chunk: join the chunks it spans.
    const span = op.insert !== undefined ? 0 : (op.delete ?? (op.retain as number));
    let end = this.atStart + this.lengths[first]!;
    while (pos + span > end && last < this.chunks.length - 1) end += this.lengths[++last]!;
    if (last > first) this.join(first, last);
    const start = this.atStart;
    const ops = this.chunks[first]!;
    const local = new Delta(pos > start ? [{ retain: pos - start }, op] : [op]);
    const composed = new Delta(ops).compose(local).ops;
    // compose drops a trailing retain; inside the buffer it still keeps text.
    const length = this.lengths[first]! + (op.insert !== undefined ? insertLength(op) : op.delete !== undefined ? -op.delete : 0);
    const produced = lengthOf(composed);
    if (first < this.chunks.length - 1 && produced < length) composed.push({ retain: length - produced });
    this.chunks[first] = composed;
    this.lengths[first] = first < this.chunks.length - 1 ? length : produced;
    this.split(first);
  }

  /** Makes chunk `at` the one where output position `pos` lies (at its end, for a position between two chunks). */
  private seek(pos: number): void {
    while (pos < this.atStart && this.at > 0) this.atStart -= this.lengths[--this.at]!;
    while (pos > this.atStart + this.lengths[this.at]! && this.at < this.chunks.length - 1) this.atStart += this.lengths[this.at++]!;
  }

  /** Chunks `from`..`to` become one. */
  private join(from: number, to: number): void {
    const joined = new Delta();
    for (let k = from; k <= to; k++) for (const op of this.chunks[k]!) joined.push(op);
    let length = 0;
    for (let k = from; k <= to; k++) length += this.lengths[k]!;
    const last = to === this.chunks.length - 1;
    this.chunks.splice(from, to - from + 1, joined.ops);
    this.lengths.splice(from, to - from + 1, last ? lengthOf(joined.ops) : length);
  }

  /** Splits chunk `k` while it is over a bound. */
  private split(k: number): void {
    const ops = this.chunks[k]!;
    let chars = 0;
    for (const op of ops) if (typeof op.insert === 'string') chars += op.insert.length;
    if (ops.length <= this.maxOps && chars <= this.maxChars) return;
    let head: DeltaOp[];
    let tail: DeltaOp[];
    if (ops.length > 1) {
      const half = ops.length >> 1;
      head = ops.slice(0, half);
      tail = ops.slice(half);
    } else {
      // One long insert: split its text.
      const op = ops[0]!;
      const text = op.insert as string;
      const half = text.length >> 1;
      const attributes = op.attributes ? { attributes: op.attributes } : {};
      head = [{ insert: text.slice(0, half), ...attributes }];
      tail = [{ insert: text.slice(half), ...attributes }];
    }
    const last = k === this.chunks.length - 1;
    const headLength = lengthOf(head);
    this.chunks.splice(k, 1, head, tail);
    this.lengths.splice(k, 1, headLength, last ? lengthOf(tail) : this.lengths[k]! - headLength);
    if (this.at > k) this.at++;
    this.split(k + 1);
    this.split(k);
  }

  private composeWhole(change: Delta): void {
    const whole = this.toDelta().compose(change);
    this.chunks = [whole.ops.slice()];
    this.lengths = [lengthOf(whole.ops)];
    this.at = 0;
    this.atStart = 0;
    this.built = whole;
    this.split(0);
  }
}
