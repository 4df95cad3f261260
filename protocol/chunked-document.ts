// A document (a delta of inserts) that takes small changes cheaply. Kept as
// one array, every change copies or scans all of its ops: on a busy document
// (thousands of formatted runs, dozens of ops a second from others) that was
// most of a client's time, and the server's head did the same per commit.
//
// Here the ops live in chunks of about CHUNK ops, and the chunks in blocks
// of about BLOCK chunks, each with its length. A change finds its block and
// chunk by the lengths and rewrites only that chunk and that block's list
// of chunks; the whole delta is built only when someone reads it.
//
// Blocks are values: a change replaces a block, never edits one. So a copy
// (clone) shares every block and costs one array of blocks (a client saves
// the server's content on every new version while edits are pending: with
// one level of 32k chunks that copy was most of a keystroke in a 5 MB
// document), and a block's JSON, once made, stays its JSON: the JSON of the
// whole document (json(), toStored()) joins the blocks' JSON and makes only
// the blocks changed since.
//
// A document can also start from its stored form (toStored(): the JSON text
// and where its blocks are in it): its blocks stay text until a change or a
// read needs their ops, so opening a 5 MB document parses and measures
// nothing, and its JSON is the stored text itself until the first change.
import { applyChangeOps, Delta, insertLength, pushOp, type DeltaOp } from './delta.ts';
import { utf8Bytes } from './text.ts';

/**
 * Ops per chunk: a change costs ~(ops / chunk) length reads + one chunk
 * rewritten. In a process following a busy document, where each change
 * meets a cold chunk, 8 measured ~20 % faster per change than 16 (4 was no
 * better than 8, with twice the chunks).
 */
const CHUNK = 8;

/**
 * Chunks per block: a change copies its block's list of chunks (up to twice
 * this), a copy of the document copies one entry per block, and the JSON of
 * a changed block (about CHUNK × BLOCK ops) is made again when it is next
 * read. 32: ~1,000 blocks for 250k ops.
 */
const BLOCK = 32;

/**
 * UTF-16 units of text one op holds at most inside the chunks. A long run of
 * one format (a pasted chapter, a plain-text import, a 400 KB agent edit)
 * would otherwise be one op, and every change inside it would copy and
 * measure the whole run: a keystroke into a 5 MB plain document re-measured
 * 5 MB. Cut into pieces, a change rewrites at most a chunk of pieces;
 * toDelta() joins them again.
 */
const PIECE = 4_096;

/**
 * measure(after) - measure(before), measuring only the ops between the
 * longest common head and tail of the two (by identity: ops are never
 * changed in place, so the ops a change did not touch are the same objects).
 */
function changedMeasure(measure: OpsMeasure, before: readonly DeltaOp[], after: readonly DeltaOp[]): number {
  let head = 0;
  const most = Math.min(before.length, after.length);
  while (head < most && before[head] === after[head]) head++;
  let tail = 0;
  while (tail < most - head && before[before.length - 1 - tail] === after[after.length - 1 - tail]) tail++;
  if (head === 0 && tail === 0) return measure(after) - measure(before);
  return measure(after.slice(head, after.length - tail)) - measure(before.slice(head, before.length - tail));
}

/** Whether a UTF-16 unit is the first half of a surrogate pair. */
const isHighSurrogate = (unit: number): boolean => unit >= 0xd800 && unit <= 0xdbff;

const lengthOf = (ops: readonly DeltaOp[]): number => {
  let n = 0;
  for (const op of ops) n += insertLength(op);
  return n;
};

/**
 * A size of ops (e.g. bytes); only `apply`'s rewritten region is measured
 * again. Must add up: the measure of ops is the sum of each op's.
 */
export type OpsMeasure = (ops: readonly DeltaOp[]) => number;

/**
 * A document as stored: `text` is its canonical JSON, exactly
 * `JSON.stringify({ ops: toDelta().ops })`; `layout` says where its blocks
 * are in it (JSON, see Layout), so that fromStored() needs neither parse
 * nor measure it.
 */
export interface StoredDocument {
  text: string;
  layout: string;
  /** The UTF-8 of `text`, when whoever read it back had it (storedUtf8()). */
  utf8?: Uint8Array;
  /**
   * The UTF-8 of `text` joined from its blocks' bytes where they are at
   * hand (toStored(): blocks read back with their UTF-8 are copied, not
   * decoded and encoded again); made on each call, not kept.
   */
  joinUtf8?: () => Uint8Array;
}

/** A stored document's UTF-8: as read back, joined from its blocks, or encoded. */
export function storedDocumentUtf8(stored: StoredDocument): Uint8Array {
  return stored.utf8 ?? stored.joinUtf8?.() ?? encoder.encode(stored.text);
}

/**
 * Per block: [JSON length, where its first op's JSON ends, where its last
 * op's starts (both within the block's JSON), length, measure, UTF-8 bytes
 * of its JSON]. A block's JSON is its ops' JSON joined by commas; the
 * blocks follow each other in `{"ops":[` … `]}`, joined by commas. With
 * the UTF-8 lengths, a document read back with its UTF-8 hands out each
 * stored block's bytes as a slice of it (JSONPart.utf8).
 */
type Layout = { blocks: Array<[number, number, number, number, number, number?]> };

const OPEN = '{"ops":[';
const CLOSE = ']}';

/** Text of a stored block and where its edge ops are in it. */
interface RawBlock {
  /** Its JSON (decoded from `utf8` on first read when the document was read back from its UTF-8 alone). */
  readonly text: string;
  /** text.length, known without `text`. */
  readonly textLength: number;
  readonly firstEnd: number;
  readonly lastStart: number;
  /** The UTF-8 of `text`, when the document was read back with its UTF-8. */
  readonly utf8: Uint8Array | undefined;
  /** The stored document it comes from and its place there: neighbours in one stored text never merge (it is canonical). */
  readonly origin: object;
  readonly index: number;
}

const blockDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * A stored block known by its UTF-8 alone: its text is decoded (and checked
 * against its layout) only when something reads it, a change in it or a
 * merge with a changed neighbour. Opening a 5 MB document read back as
 * UTF-8 decodes none of its 11 MB (a reply sends the bytes as they are).
 */
function lazyRawBlock(utf8: Uint8Array, textLength: number, firstEnd: number, lastStart: number, origin: object, index: number): RawBlock {
  let text: string | undefined;
  return {
    get text() {
      if (text === undefined) {
        const decoded = blockDecoder.decode(utf8);
        const single = firstEnd === textLength && lastStart === 0;
        // Written with its layout by StoredWriter: a mismatch is a damaged snapshot, not input.
        if (decoded.length !== textLength || !(single || (decoded[firstEnd] === ',' && decoded[lastStart - 1] === ','))) throw new Error('stored document block does not match its layout');
        text = decoded;
      }
      return text;
    },
    textLength,
    firstEnd,
    lastStart,
    utf8,
    origin,
    index,
  };
}

/** A piece of a document's JSON: some of its ops' JSON, joined by commas (ChunkedDocument.jsonParts). */
export interface JSONPart {
  readonly text: string;
  /** Its UTF-8, where it is at hand (a stored block of a document read back with its UTF-8). */
  readonly utf8?: Uint8Array | undefined;
}

/** A block's ops as canonical JSON (neighbouring ops in it merged as toDelta() merges them). */
interface BlockJSON extends JSONPart {
  readonly text: string;
  /** text.length, known without reading `text` (a stored block's may not be decoded yet). */
  readonly textLength: number;
  readonly firstEnd: number;
  readonly lastStart: number;
  /** Quill length and measure of the canonical ops. */
  readonly length: number;
  readonly size: number;
  first(): DeltaOp;
  last(): DeltaOp;
}

interface Block {
  /** The ops, in chunks; null while the block is still text (raw). */
  readonly chunks: readonly DeltaOp[][] | null;
  readonly lengths: readonly number[] | null;
  readonly raw: RawBlock | null;
  readonly length: number;
  /** `measure` of its ops (0 without one). */
  readonly size: number;
  /** Its JSON, made on first need (the block never changes, so neither does this). */
  json: BlockJSON | null;
}

const parsedBlock = (chunks: DeltaOp[][], lengths: number[], length: number, size: number): Block => ({ chunks, lengths, raw: null, length, size, json: null });

export class ChunkedDocument {
  /** Never empty blocks. Canonical within a chunk; two chunks (or blocks) may meet where one op would do (toDelta() joins them). */
  private blocks: Block[] = [];
  private total = 0;
  /** measure(all ops), kept up to date from the region each change rewrites. */
  private measured = 0;
  private built: Delta | null = null;
  /** toStored() of the document as it is (null: not made since the last change). */
  private stored: StoredDocument | null = null;
  /** jsonParts() of the document as it is, and the layout that goes with them. */
  private parts: { parts: readonly JSONPart[]; layout: () => string } | null = null;

  /**
   * `chunk`: ops per chunk, `block`: chunks per block (tests make them tiny
   * to split and join often). `measure`: a size to keep (the server's byte
   * size), read as `size`: the measure of the chunks, so two ops that only a
   * chunk boundary keeps apart (toDelta() joins them) count apart.
   */
  private readonly chunk;
  private readonly block;
  private readonly measure?: OpsMeasure;
  /** `piece`: UTF-16 units per text op at most (PIECE; tests make it tiny). */
  private readonly piece;
  constructor(content: Delta = new Delta(), chunk = CHUNK, measure?: OpsMeasure, piece = PIECE, block = BLOCK) {
    this.chunk = chunk;
    this.block = Math.max(2, block);
    this.measure = measure;
    this.piece = Math.max(2, piece); // 2: a surrogate pair is never cut
    if (content.ops.length > 0) {
      const ops = this.cut(content.ops);
      // Chunks are ours: the caller's array may change.
      this.blocks = this.blocksOf(this.chunksOf(ops === content.ops ? ops.slice() : ops));
      for (const b of this.blocks) {
        this.total += b.length;
        this.measured += b.size;
      }
    }
    this.built = content;
  }

  /**
   * A document from its stored form (toStored()), its blocks left as text
   * until they are needed. `stored` is trusted to be what toStored() made
   * (with the same `measure`); a text that does not match its layout is
   * parsed as a whole instead.
   */
  static fromStored(stored: StoredDocument, chunk = CHUNK, measure?: OpsMeasure, piece = PIECE, block = BLOCK): ChunkedDocument {
    const doc = new ChunkedDocument(new Delta(), chunk, measure, piece, block);
    const blocks = rawBlocks(stored);
    if (!blocks) {
      const parsed = JSON.parse(stored.text) as { ops?: unknown };
      if (!Array.isArray(parsed.ops)) throw new Error('stored document is not { ops: [...] }');
      return new ChunkedDocument(new Delta(parsed.ops as DeltaOp[]), chunk, measure, piece, block);
    }
    doc.blocks = blocks;
    for (const b of blocks) {
      doc.total += b.length;
      doc.measured += b.size;
    }
    doc.built = null;
    doc.stored = stored;
    return doc;
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
    // Still (partly) text and its JSON at hand: that is the canonical delta, in one parse.
    if (this.stored && this.blocks.some((b) => b.raw)) return (this.built = new Delta((JSON.parse(this.stored.text) as { ops: DeltaOp[] }).ops));
    const doc = new Delta();
    // Merged where compose would merge: the pieces of a long run, and ops that meet at a chunk boundary.
    for (const b of this.blocks) {
      for (const chunk of b.chunks ?? [rawOps(b.raw!)]) for (const op of chunk) if (!pushOp(doc.ops, op)) doc.push(op);
    }
    this.built = doc;
    return doc;
  }

  /**
   * The UTF-16 unit at `index` (0 for an embed or outside the document):
   * a few positions checked without building the content (a change's edges
   * against surrogate pairs).
   */
  unitAt(index: number): number {
    if (index < 0 || index >= this.total) return 0;
    const { from, offset } = this.span(index, index);
    const b = this.blocks[from]!;
    let at = offset;
    for (const chunk of b.chunks ?? [rawOps(b.raw!)]) {
      for (const op of chunk) {
        const length = insertLength(op);
        if (index < at + length) return typeof op.insert === 'string' ? op.insert.charCodeAt(index - at) : 0;
        at += length;
      }
    }
    return 0;
  }

  /** `JSON.stringify({ ops: toDelta().ops })`, from the blocks' JSON (made again only for blocks changed since). */
  json(): string {
    return this.toStored().text;
  }

  /**
   * json() in parts: `{"ops":[` + the parts' text joined by commas + `]}`.
   * A part that a change leaves alone is the same object in the next
   * version's parts, so whatever is made of its text (its UTF-8 bytes) can
   * be kept by it.
   */
  jsonParts(): readonly JSONPart[] {
    return this.written().parts;
  }

  /** The UTF-8 of json(), when the document is still the stored one it was read from with its UTF-8 (else null: encode json()). */
  storedUtf8(): Uint8Array | null {
    return this.stored?.utf8 ?? null;
  }

  /** The document as stored (StoredDocument): its JSON and where its blocks are in it. The same object until the next change. */
  toStored(): StoredDocument {
    if (!this.stored) {
      const { parts, layout } = this.written();
      // The text only if read: joining it decodes every block read back as bytes.
      let text: string | undefined;
      this.stored = {
        get text() {
          return (text ??= OPEN + parts.map((p) => p.text).join(',') + CLOSE);
        },
        layout: layout(),
        joinUtf8: () => joinedUtf8(parts),
      };
    }
    return this.stored;
  }

  private written(): { parts: readonly JSONPart[]; layout: () => string } {
    if (this.parts) return this.parts;
    const out = new StoredWriter(this.measure);
    let previous: RawBlock | null = null;
    for (const b of this.blocks) {
      const raw = b.raw;
      // Neighbours of one stored text never merge: it is canonical.
      const adjacent = raw !== null && previous !== null && raw.origin === previous.origin && raw.index === previous.index + 1;
      out.add(this.jsonOf(b), adjacent);
      previous = raw;
    }
    return (this.parts = out.finish());
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
    for (const b of this.blocks) {
      for (const chunk of b.chunks ?? [rawOps(b.raw!)]) {
        for (const op of chunk) {
          if (held >= units) return ops;
          ops.push(op);
          held += insertLength(op);
        }
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

  /** A copy that changes independently (one array of blocks: blocks and ops are never changed in place). */
  clone(): ChunkedDocument {
    const copy = new ChunkedDocument(new Delta(), this.chunk, this.measure, this.piece, this.block);
    copy.blocks = this.blocks.slice();
    copy.total = this.total;
    copy.measured = this.measured;
    copy.built = this.built;
    copy.stored = this.stored;
    copy.parts = this.parts;
    return copy;
  }

  /** Applies `change` (as `toDelta().compose(change)` would). */
  apply(change: Delta): void {
    const ops = change.ops;
    const lead = ops[0];
    const start = lead && typeof lead.retain === 'number' && !lead.attributes ? lead.retain : 0;
    const first = start > 0 ? 1 : 0;
    // The span the change covers.
    let end = start;
    for (let k = first; k < ops.length; k++) {
      const op = ops[k]!;
      if (op.insert === undefined) end += Delta.Op.length(op);
    }

    let span = this.span(start, end);
    // Stored blocks the change meets become ops first (the rest stay text).
    if (this.parse(span.from, span.to)) span = this.span(start, end);
    const { from: bFrom, to: bTo, offset: bOffset } = span;

    // The chunks of blocks [bFrom, bTo] (usually one block: its own arrays).
    const one = bFrom === bTo ? this.blocks[bFrom]! : null;
    const chunks: DeltaOp[][] = one ? (one.chunks as DeltaOp[][]) : this.blocks.slice(bFrom, bTo + 1).flatMap((b) => b.chunks as DeltaOp[][]);
    const lengths: number[] = one ? (one.lengths as number[]) : this.blocks.slice(bFrom, bTo + 1).flatMap((b) => b.lengths as number[]);

    // Chunks [from, to] hold [offset, end) and start at or before `start`.
    const count = chunks.length;
    let from = 0;
    let offset = bOffset;
    while (from < count - 1 && offset + lengths[from]! <= start) offset += lengths[from++]!;
    let to = from;
    let covered = offset + (lengths[from] ?? 0);
    while (to < count - 1 && covered < end) covered += lengths[++to]!;

    const region = to === from ? (chunks[from] ?? []) : chunks.slice(from, to + 1).flat();
    const composed = applyChangeOps(region, ops, offset);
    if (composed === region) return; // plain retains
    const updated = this.cut(composed);
    let sizeChange = this.measure ? changedMeasure(this.measure, region, updated) : 0;

    // The blocks' new chunks: the region's replaced by the updated ops.
    const newChunks = chunks.slice();
    const newLengths = lengths.slice();
    const remove = Math.min(to - from + 1, count);
    let at = from;
    if (updated.length > 0 && updated.length <= 2 * this.chunk && remove === 1) {
      // The usual change: one chunk rewritten.
      newChunks[at] = updated;
      newLengths[at] = lengthOf(updated);
    } else {
      const made = updated.length <= 2 * this.chunk ? (updated.length > 0 ? [updated] : []) : this.chunksOf(updated);
      newChunks.splice(at, remove, ...made);
      newLengths.splice(at, remove, ...made.map(lengthOf));
      if (made.length !== 1) at = -1;
    }
    // Deletions shrink chunks; keep them from turning into many tiny ones.
    if (at >= 0 && newChunks[at]!.length < this.chunk / 4) sizeChange += this.joinChunks(newChunks, newLengths, at + 1 < newChunks.length ? at : at - 1);

    let oldLength = 0;
    let oldSize = 0;
    for (let k = bFrom; k <= bTo; k++) {
      oldLength += this.blocks[k]!.length;
      oldSize += this.blocks[k]!.size;
    }
    let newLength = 0;
    for (const n of newLengths) newLength += n;
    const made =
      newChunks.length === 0
        ? []
        : newChunks.length <= 2 * this.block
          ? [parsedBlock(newChunks, newLengths, newLength, oldSize + sizeChange)]
          : this.blocksOf(newChunks, newLengths);
    let newSize = 0;
    for (const b of made) newSize += b.size;
    this.blocks.splice(bFrom, Math.max(0, bTo - bFrom + 1), ...made);
    this.total += newLength - oldLength;
    this.measured += newSize - oldSize;
    if (made.length === 1 && made[0]!.chunks!.length < this.block / 4) this.joinBlocks(bFrom);
    this.built = null;
    this.stored = null;
    this.parts = null;
  }

  /** Blocks [from, to] hold [offset, end) and start at or before `start` (the last block takes changes at the very end); searched from the nearer end. */
  private span(start: number, end: number): { from: number; to: number; offset: number } {
    const blocks = this.blocks;
    const count = blocks.length;
    if (count === 0) return { from: 0, to: -1, offset: 0 };
    let from: number;
    let offset: number;
    if (start < this.total / 2) {
      from = 0;
      offset = 0;
      while (from < count - 1 && offset + blocks[from]!.length <= start) offset += blocks[from++]!.length;
    } else {
      from = count - 1;
      offset = this.total - blocks[from]!.length;
      while (from > 0 && offset > start) offset -= blocks[--from]!.length;
    }
    let to = from;
    let covered = offset + blocks[from]!.length;
    while (to < count - 1 && covered < end) covered += blocks[++to]!.length;
    return { from, to, offset };
  }

  /** Turns the stored (text) blocks among [from, to] into ops; whether there were any. */
  private parse(from: number, to: number): boolean {
    let any = false;
    for (let k = to; k >= from; k--) {
      const b = this.blocks[k]!;
      if (b.chunks) continue;
      any = true;
      const made = this.blocksOf(this.chunksOf(this.cut(rawOps(b.raw!).slice())));
      let size = 0;
      for (const m of made) size += m.size;
      this.measured += size - b.size;
      this.blocks.splice(k, 1, ...made);
    }
    return any;
  }

  /** `ops` in chunks of `chunk` ops. */
  private chunksOf(ops: DeltaOp[]): DeltaOp[][] {
    if (ops.length <= 2 * this.chunk) return ops.length > 0 ? [ops] : [];
    const chunks: DeltaOp[][] = [];
    for (let k = 0; k < ops.length; k += this.chunk) chunks.push(ops.slice(k, k + this.chunk));
    return chunks;
  }

  /** Chunks in blocks of `block` chunks, measured. */
  private blocksOf(chunks: DeltaOp[][], lengths: number[] = chunks.map(lengthOf)): Block[] {
    const blocks: Block[] = [];
    const step = chunks.length <= 2 * this.block ? chunks.length : this.block;
    for (let k = 0; k < chunks.length; k += step) {
      const part = chunks.slice(k, k + step);
      const partLengths = lengths.slice(k, k + step);
      let length = 0;
      for (const n of partLengths) length += n;
      let size = 0;
      if (this.measure) for (const c of part) size += this.measure(c);
      blocks.push(parsedBlock(part, partLengths, length, size));
    }
    return blocks;
  }

  /** Joins chunk `k` and the next (in place) unless that would make one too big; the change of measure. */
  private joinChunks(chunks: DeltaOp[][], lengths: number[], k: number): number {
    if (k < 0 || k + 1 >= chunks.length) return 0;
    const joined = this.cut(new Delta(chunks[k]).concat(new Delta(chunks[k + 1])).ops);
    if (joined.length > 2 * this.chunk) return 0;
    // Joining may merge the two ops that meet (one copy of their attributes goes).
    const change = this.measure ? this.measure(joined) - this.measure(chunks[k]!) - this.measure(chunks[k + 1]!) : 0;
    chunks.splice(k, 2, joined);
    lengths.splice(k, 2, lengths[k]! + lengths[k + 1]!);
    return change;
  }

  /** Joins the small block at `k` with a neighbour that is not text, if together they fit in one. */
  private joinBlocks(k: number): void {
    const b = this.blocks[k]!;
    for (const n of [k + 1, k - 1]) {
      const other = this.blocks[n];
      if (!other?.chunks || other.chunks.length + b.chunks!.length > 2 * this.block) continue;
      const [x, y] = n > k ? [b, other] : [other, b];
      this.blocks.splice(Math.min(k, n), 2, parsedBlock([...x.chunks!, ...y.chunks!], [...x.lengths!, ...y.lengths!], x.length + y.length, x.size + y.size));
      return;
    }
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

  /** A block's canonical JSON (kept on the block). */
  private jsonOf(b: Block): BlockJSON {
    if (b.json) return b.json;
    if (b.raw) {
      const raw = b.raw;
      const { textLength, firstEnd, lastStart, utf8 } = raw;
      let first: DeltaOp | undefined;
      let last: DeltaOp | undefined;
      b.json = {
        get text() {
          return raw.text;
        },
        textLength,
        utf8,
        firstEnd,
        lastStart,
        length: b.length,
        size: b.size,
        first: () => (first ??= JSON.parse(raw.text.slice(0, firstEnd)) as DeltaOp),
        last: () => (last ??= JSON.parse(raw.text.slice(lastStart)) as DeltaOp),
      };
      return b.json;
    }
    // The ops merged as toDelta() merges them, and their JSON beside them (OpenJSON where ops merge).
    let ops: DeltaOp[] = [];
    let texts: Array<string | OpenJSON> | null = [];
    let kept = 0;
    for (const chunk of b.chunks!) {
      kept += chunk.length;
      for (const op of chunk) {
        const count = ops.length;
        const before = ops[count - 1];
        if (pushOp(ops, op)) {
          if (texts === null) continue;
          if (ops.length === count + 1 && ops[count] === op) texts.push(opJSON(op));
          else if (ops.length === count && before !== undefined) {
            texts[count - 1] = OpenJSON.merge(texts[count - 1]!, before, opJSON(op), op, ops[count - 1]!);
          } else texts = null; // moved around a delete (never in a document): JSON.stringify below
          continue;
        }
        const d = new Delta(ops);
        d.push(op);
        ops = d.ops;
        texts = null;
      }
    }
    const strings = texts?.map(String);
    const text = strings ? strings.join(',') : JSON.stringify(ops).slice(1, -1);
    const first = ops[0]!;
    const last = ops[ops.length - 1]!;
    const { measure } = this;
    let size: number | undefined;
    b.json = {
      text,
      textLength: text.length,
      firstEnd: ops.length === 1 ? text.length : strings ? strings[0]!.length : JSON.stringify(first).length,
      lastStart: ops.length === 1 ? 0 : text.length - (strings ? strings[strings.length - 1]!.length : JSON.stringify(last).length),
      length: b.length,
      // Measured again only where ops merged (the pieces of a run, ops that met at a chunk boundary), and only for a layout.
      get size() {
        return (size ??= ops.length === kept ? b.size : measure ? measure(ops) : 0);
      },
      first: () => first,
      last: () => last,
    };
    return b.json;
  }
}

/**
 * The ops of a stored block, parsed once (reads of the start, a unit, or the
 * whole delta need them without turning the block into chunks). The array
 * is shared: never changed.
 */
const parsedRaw = new WeakMap<RawBlock, DeltaOp[]>();
function rawOps(raw: RawBlock): DeltaOp[] {
  let ops = parsedRaw.get(raw);
  if (!ops) parsedRaw.set(raw, (ops = JSON.parse(`[${raw.text}]`) as DeltaOp[]));
  return ops;
}

/** The layout's entries, if it is a list of blocks of 5 or 6 non-negative integers. */
function layoutEntries(stored: StoredDocument): Layout['blocks'] | null {
  let layout: Layout;
  try {
    layout = JSON.parse(stored.layout) as Layout;
  } catch {
    return null;
  }
  if (!Array.isArray(layout?.blocks)) return null;
  for (const entry of layout.blocks) if (!Array.isArray(entry) || (entry.length !== 5 && entry.length !== 6) || !entry.every((n) => Number.isSafeInteger(n) && n! >= 0)) return null;
  return layout.blocks;
}

/**
 * The bytes of the UTF-8 a layout describes (OPEN, the blocks with commas
 * between them, CLOSE), when it has every block's UTF-8 length; else null.
 * What a reader of a stored body can expect it to inflate to.
 */
export function storedUtf8Length(layout: string): number | null {
  const entries = layoutEntries({ text: '', layout });
  if (!entries || entries.length === 0 || entries.some((e) => e.length !== 6)) return null;
  let n = OPEN.length + CLOSE.length + entries.length - 1;
  for (const e of entries) n += e[5]!;
  return n;
}

const COMMA_BYTE = 0x2c;
const encoder = new TextEncoder();
const OPEN_BYTES = encoder.encode(OPEN);
const CLOSE_BYTES = encoder.encode(CLOSE);

/** `{"ops":[` + the parts joined by commas + `]}` as UTF-8; a part's own bytes where it has them. Parts are whole JSON values, so no surrogate pair is split between two. */
function joinedUtf8(parts: readonly JSONPart[]): Uint8Array {
  const pieces = parts.map((p) => p.utf8 ?? encoder.encode(p.text));
  let size = OPEN_BYTES.length + CLOSE_BYTES.length + Math.max(0, pieces.length - 1);
  for (const piece of pieces) size += piece.byteLength;
  const out = new Uint8Array(size);
  out.set(OPEN_BYTES, 0);
  let at = OPEN_BYTES.length;
  pieces.forEach((piece, i) => {
    if (i > 0) out[at++] = COMMA_BYTE;
    out.set(piece, at);
    at += piece.byteLength;
  });
  out.set(CLOSE_BYTES, at);
  return out;
}

/**
 * The blocks of a stored document read back with its UTF-8, from the bytes
 * alone (each block decoded when read: lazyRawBlock); null unless every
 * block has its UTF-8 length and they fit the bytes.
 */
function lazyRawBlocks(utf8: Uint8Array, entries: Layout['blocks']): Block[] | null {
  if (entries.length === 0 || entries.some((e) => e.length !== 6)) return null;
  if (utf8.byteLength < OPEN_BYTES.length + CLOSE_BYTES.length) return null;
  for (let i = 0; i < OPEN_BYTES.length; i++) if (utf8[i] !== OPEN_BYTES[i]) return null;
  for (let i = 0; i < CLOSE_BYTES.length; i++) if (utf8[utf8.byteLength - CLOSE_BYTES.length + i] !== CLOSE_BYTES[i]) return null;
  const origin = {};
  const blocks: Block[] = [];
  let at = OPEN_BYTES.length;
  for (const [index, [jsonLength, firstEnd, lastStart, length, size, bytes]] of entries.entries()) {
    if (index > 0) {
      if (utf8[at] !== COMMA_BYTE) return null;
      at += 1;
    }
    const end = at + bytes!;
    if (jsonLength === 0 || bytes === 0 || end > utf8.byteLength - CLOSE_BYTES.length) return null;
    const single = firstEnd === jsonLength && lastStart === 0;
    if (!single && !(firstEnd > 0 && firstEnd < lastStart && lastStart < jsonLength)) return null;
    blocks.push({ chunks: null, lengths: null, raw: lazyRawBlock(utf8.subarray(at, end), jsonLength, firstEnd, lastStart, origin, index), length, size, json: null });
    at = end;
  }
  return at === utf8.byteLength - CLOSE_BYTES.length ? blocks : null;
}

/** The blocks of a stored document, as text; null when its layout does not fit its text. */
function rawBlocks(stored: StoredDocument): Block[] | null {
  const entries = layoutEntries(stored);
  if (!entries) return null;
  // Read back with its UTF-8 and the layout says where each block's bytes are: nothing is decoded now.
  const lazy = stored.utf8 ? lazyRawBlocks(stored.utf8, entries) : null;
  if (lazy) return lazy;
  const { text } = stored;
  if (!text.startsWith(OPEN) || !text.endsWith(CLOSE)) return null;
  const origin = {};
  const blocks: Block[] = [];
  let at = OPEN.length;
  // Where the block's bytes start in stored.utf8 (undefined: not all blocks have their UTF-8 length, or no UTF-8).
  let byteAt: number | undefined = stored.utf8 ? OPEN.length : undefined;
  for (const [index, [jsonLength, firstEnd, lastStart, length, size, bytes]] of entries.entries()) {
    if (index > 0) {
      if (text[at] !== ',') return null;
      at += 1;
      if (byteAt !== undefined) byteAt += 1;
    }
    const end = at + jsonLength;
    if (jsonLength === 0 || end > text.length - CLOSE.length) return null;
    // One op (it is first and last), or a comma after the first and before the last.
    const single = firstEnd === jsonLength && lastStart === 0;
    if (!single && !(firstEnd > 0 && firstEnd < lastStart && lastStart < jsonLength && text[at + firstEnd] === ',' && text[at + lastStart - 1] === ',')) return null;
    const utf8 = byteAt !== undefined && bytes !== undefined ? stored.utf8!.subarray(byteAt, byteAt + bytes) : undefined;
    byteAt = byteAt !== undefined && bytes !== undefined ? byteAt + bytes : undefined;
    blocks.push({ chunks: null, lengths: null, raw: { text: text.slice(at, end), textLength: jsonLength, firstEnd, lastStart, utf8, origin, index }, length, size, json: null });
    at = end;
  }
  if (at !== text.length - CLOSE.length) return null;
  // The UTF-8 lengths must add up to the whole, or none is used.
  if (byteAt !== undefined && byteAt + CLOSE.length !== stored.utf8!.byteLength) for (const b of blocks) (b.raw as { utf8: Uint8Array | undefined }).utf8 = undefined;
  return blocks;
}

/**
 * Joins blocks' JSON into a document's canonical JSON and its layout. Where
 * a block's last op and the next one's first would merge (toDelta() merges
 * them), the two become one op, and the blocks one stored block.
 */
class StoredWriter {
  private readonly parts: JSONPart[] = [];
  /**
   * Per part, its layout entry but for its measure and UTF-8 length, which
   * are counted only if the layout is asked for (a snapshot): a reply needs
   * neither, and measuring a long run (a 5 MB plain document is one op)
   * costs as much as writing it.
   */
  private readonly entries: Array<[number, number, number, number]> = [];
  private readonly sizes: Array<() => number> = [];
  /** The stored block being made: its JSON before its last op, and the last op, which the next block may merge with. */
  private head: string[] = [];
  private firstEnd: number | null = null;
  /** The last op (null: not read yet; `lastOf` has it) and the block it was read from. */
  private last: DeltaOp | null = null;
  private lastOf: BlockJSON | null = null;
  /** The JSON of `last` (set once the block begun is unwrapped). */
  private lastText: string | OpenJSON | null = null;
  private length = 0;
  /** The blocks in the part being made (their sizes add up to its size but for merged ops)... */
  private blocks: BlockJSON[] = [];
  /** ...and each merged op with the ops it was made of, which the blocks' sizes count apart. */
  private merges: Array<[DeltaOp, DeltaOp[]]> = [];
  /** While `last` is ops merged into one: those ops. */
  private merging: DeltaOp[] | null = null;
  /** The block being made is one block's JSON, unchanged. */
  private whole: BlockJSON | null = null;

  private readonly measure: OpsMeasure | undefined;
  constructor(measure: OpsMeasure | undefined) {
    this.measure = measure;
  }

  /** `adjacent`: the block followed the previous one in one stored text (they do not merge). */
  add(block: BlockJSON, adjacent: boolean): void {
    if (this.lastOf === null) return this.begin(block);
    // Read only where it may merge: a stored block's edge ops are parsed on demand.
    if (adjacent) {
      this.flush();
      return this.begin(block);
    }
    const last = (this.last ??= this.lastOf.last());
    const first = block.first();
    const merged = mergeOps(last, first);
    if (!merged) {
      this.flush();
      return this.begin(block);
    }
    this.unwrap();
    this.length += block.length;
    this.blocks.push(block);
    (this.merging ??= [last]).push(first);
    const firstText = block.firstEnd === block.textLength ? block.text : block.text.slice(0, block.firstEnd);
    this.lastText = OpenJSON.merge(this.lastText!, last, firstText, first, merged);
    this.last = merged;
    // A block of one op: it all went into the merged op, which the next block may merge with again.
    if (block.firstEnd === block.textLength) return;
    this.settleMerged();
    const mergedText = String(this.lastText);
    this.firstEnd ??= mergedText.length;
    this.head.push(mergedText);
    if (block.lastStart > block.firstEnd + 1) this.head.push(block.text.slice(block.firstEnd + 1, block.lastStart - 1));
    this.last = null;
    this.lastOf = block;
    this.lastText = block.text.slice(block.lastStart);
  }

  finish(): { parts: JSONPart[]; layout: () => string } {
    if (this.lastOf !== null) this.flush();
    const { parts, entries, sizes } = this;
    let layout: string | undefined;
    return { parts, layout: () => (layout ??= JSON.stringify({ blocks: entries.map((e, k) => [...e, sizes[k]!(), utf8Length(parts[k]!)]) } satisfies Layout)) };
  }

  private begin(block: BlockJSON): void {
    // Its text is read only if the next block merges into it (unwrap): a stored block's may not be decoded yet.
    this.whole = block;
    this.length = block.length;
    this.blocks = [block];
    this.merges = [];
    this.merging = null;
    this.last = null;
    this.lastOf = block;
  }

  /** The block begun is no longer one block's JSON unchanged: its head and last op's text, to merge into. */
  private unwrap(): void {
    const block = this.whole;
    if (!block) return;
    this.whole = null;
    if (block.firstEnd === block.textLength) {
      this.head = [];
      this.firstEnd = null;
      this.lastText = block.text;
    } else {
      this.head = [block.text.slice(0, block.lastStart - 1)];
      this.firstEnd = block.firstEnd;
      this.lastText = block.text.slice(block.lastStart);
    }
  }

  /** The merged `last` is complete: its size is counted as one op's (when the layout is made). */
  private settleMerged(): void {
    if (this.merging === null) return;
    this.merges.push([this.last!, this.merging]);
    this.merging = null;
  }

  private flush(): void {
    this.settleMerged();
    let textLength: number;
    let firstEnd: number;
    let lastStart: number;
    let part: JSONPart;
    if (this.whole) {
      ({ textLength, firstEnd, lastStart } = this.whole);
      part = this.whole; // the block's own: the same object while the block stays
    } else {
      const lastText = this.lastText !== null ? String(this.lastText) : JSON.stringify(this.last ?? this.lastOf!.last());
      const head = this.head.join(',');
      const text = head ? `${head},${lastText}` : lastText;
      textLength = text.length;
      lastStart = text.length - lastText.length;
      firstEnd = this.firstEnd ?? text.length;
      part = { text };
    }
    this.parts.push(part);
    this.entries.push([textLength, firstEnd, lastStart, this.length]);
    const { blocks, merges, measure } = this;
    this.sizes.push(() => {
      let n = 0;
      for (const b of blocks) n += b.size;
      if (measure) for (const [op, from] of merges) n += measure([op]) - measure(from);
      return n;
    });
    this.last = null;
    this.lastOf = null;
    this.whole = null;
  }
}

const INSERT_HEAD = '{"insert":"';

/** The end of an op's JSON after its text, as JSON.stringify writes an op whose keys are `insert` then `attributes`. */
const textTail = (op: DeltaOp): string => (op.attributes ? `","attributes":${JSON.stringify(op.attributes)}}` : '"}');

/**
 * The JSON of a text op that the next ops may merge into (pushOp: their
 * text joined, the last one's attributes), kept open (without its tail)
 * so that each join appends their escaped text: nothing is escaped again,
 * and what it holds is never copied (a long run's ~1,200 pieces, joined
 * per version, were ~60 ms of JSON.stringify for a 5 MB run).
 */
class OpenJSON {
  private text: string;
  private open: string | null = null;
  private tail = '';
  /** The last UTF-16 unit of the text joined so far (reading it from the joined string would flatten it: a copy per join). */
  private lastUnit = -1;
  constructor(text: string) {
    this.text = text;
  }

  /** The JSON of `merged`, the op `a` (its JSON `aText`) makes with `b` (`bText`): appended where join() can, else written anew. */
  static merge(aText: string | OpenJSON, a: DeltaOp, bText: string, b: DeltaOp, merged: DeltaOp): string | OpenJSON {
    const open = typeof aText === 'string' ? new OpenJSON(aText) : aText;
    return open.join(a, bText, b, merged) ? open : JSON.stringify(merged);
  }

  /**
   * Appends `b` (its JSON `bText`) to this op `a`, which makes `merged`;
   * false where the result might not be what JSON.stringify(merged) gives
   * (a surrogate pair cut between them, each half escaped alone; JSON not
   * in `insert`, `attributes` order): the caller writes it then.
   */
  join(a: DeltaOp, bText: string, b: DeltaOp, merged: DeltaOp): boolean {
    const x = a.insert;
    const y = b.insert;
    if (typeof x !== 'string' || typeof y !== 'string' || x.length === 0 || y.length === 0 || merged.attributes !== b.attributes || Object.keys(merged)[0] !== 'insert') return false;
    if (this.lastUnit < 0) this.lastUnit = x.charCodeAt(x.length - 1);
    if (isHighSurrogate(this.lastUnit) && (y.charCodeAt(0) & 0xfc00) === 0xdc00) return false;
    const bTail = textTail(b);
    if (!bText.startsWith(INSERT_HEAD) || !bText.endsWith(bTail)) return false;
    if (this.open === null) {
      const aTail = textTail(a);
      if (!this.text.startsWith(INSERT_HEAD) || !this.text.endsWith(aTail)) return false;
      this.open = this.text.slice(0, this.text.length - aTail.length);
    }
    this.open += bText.slice(INSERT_HEAD.length, bText.length - bTail.length);
    this.tail = bTail;
    this.lastUnit = y.charCodeAt(y.length - 1);
    return true;
  }

  toString(): string {
    return this.open === null ? this.text : this.open + this.tail;
  }
}

/** Text ops at least this long keep their JSON (WeakMap by op): a long run's pieces are escaped once, not per version. */
const KEEP_JSON_UNITS = 1_024;
const opJSONs = new WeakMap<DeltaOp, string>();
function opJSON(op: DeltaOp): string {
  if (typeof op.insert !== 'string' || op.insert.length < KEEP_JSON_UNITS) return JSON.stringify(op);
  let text = opJSONs.get(op);
  if (text === undefined) opJSONs.set(op, (text = JSON.stringify(op)));
  return text;
}

/** UTF-8 bytes of a part's text, counted once per part (a part that stays from one version to the next keeps its count). */
const utf8Lengths = new WeakMap<JSONPart, number>();
function utf8Length(part: JSONPart): number {
  let n = utf8Lengths.get(part) ?? part.utf8?.byteLength;
  if (n === undefined) {
    // Native in Node (the server, which stores layouts); a lone surrogate counts as U+FFFD's 3 bytes, as it is written.
    n = utf8Bytes(part.text);
    utf8Lengths.set(part, n);
  }
  return n;
}

/** The one op that `a` then `b` make in a canonical delta, or null when they stay two. */
function mergeOps(a: DeltaOp, b: DeltaOp): DeltaOp | null {
  if (typeof a.insert !== 'string' || typeof b.insert !== 'string') return null;
  let ops: DeltaOp[] = [a];
  if (!pushOp(ops, b)) {
    const d = new Delta([a]);
    d.push(b);
    ops = d.ops;
  }
  return ops.length === 1 ? ops[0]! : null;
}
