// What a node keeps in memory per document: the head version, the head
// content and a window of the latest ops (to rebase submissions without a
// database read). Always contiguous: the window ends at `version`.
// ChunkedDocument (protocol/: pure, quill-delta only) is the client's and the
// server's: compose() on a long formatted head costs a deep copy per op,
// and even a span-only compose copied the whole op array per commit.
import { ChunkedDocument, type JSONPart, type StoredDocument } from '../../../protocol/chunked-document.ts';
import { opsBytes } from './content-bytes.ts';
import { Delta, type DeltaOp } from '../../../protocol/delta.ts';
import { holdsSurrogates, type UnitLookup } from './surrogate-pairs.ts';
import type { CommittedOp, Snapshot } from './types.ts';

/** A copy of a head's content to try changes on. */
export interface ContentDraft extends UnitLookup {
  apply(change: Delta): void;
  /** Bytes of the content (as DocumentHead.bytes). */
  readonly size: number;
  /** The content as stored (a snapshot of it). */
  toStored(): StoredDocument;
}

/**
 * The content at one version, unchanging: what readers of the head get.
 * Built on first read and shared by every reader of that version (a
 * hundred people opening a document at once make its JSON once).
 */
export interface HeadContent {
  readonly version: number;
  /** Length in Quill units. */
  readonly length: number;
  /** Bytes (content-bytes.ts). */
  readonly bytes: number;
  /** The content as a delta (parsed or built on first read). */
  readonly content: Delta;
  /** The content's JSON, `JSON.stringify({ ops: content.ops })`, without building `content`. */
  json(): string;
  /** json() in parts (ChunkedDocument.jsonParts): a part an op leaves alone is the same object in the next version's. */
  jsonParts(): readonly JSONPart[];
  /** The UTF-8 of json() if the content is its stored snapshot's, as read (null: not at hand). */
  utf8(): Uint8Array | null;
}

/** Stored content (snapshots) from a delta, measured as heads measure it. */
export const storedContent = (content: Delta): StoredDocument => new ChunkedDocument(content, undefined, opsBytes).toStored();

/** A snapshot of stored content, whose `content` is parsed only if someone reads it. */
export function storedSnapshot(version: number, stored: StoredDocument): Snapshot {
  let content: Delta | null = null;
  return {
    version,
    stored,
    get content() {
      return (content ??= ChunkedDocument.fromStored(stored, undefined, opsBytes).toDelta());
    },
  };
}

export class DocumentHead {
  version: number;
  private readonly document: ChunkedDocument;
  /** The newest ops, ascending; the last one (if any) has `version`. */
  private recent: CommittedOp[];
  /**
   * Whether the content may hold a surrogate (surrogate-pairs.ts): from the
   * content loaded and every op applied since, never cleared. While false,
   * no change can split a pair, and none is checked for it. A head loaded
   * from stored text does not know (reading every op to find out is what
   * loading from text avoids): true.
   */
  mayHoldSurrogates: boolean;
  /** Bytes of the ops applied since the content this head was loaded from (or since noteSnapshot): what a load would replay. */
  bytesSinceSnapshot = 0;
  /** The content at `version` as readers see it (null: not asked for since the last op). */
  private frozen: HeadContent | null = null;

  private readonly window: number;
  constructor(version: number, content: Delta | StoredDocument, recent: CommittedOp[], window: number) {
    this.window = window;
    this.version = version;
    if (content instanceof Delta) {
      this.document = new ChunkedDocument(content, undefined, opsBytes);
      this.mayHoldSurrogates = holdsSurrogates(content.ops);
    } else {
      this.document = ChunkedDocument.fromStored(content, undefined, opsBytes);
      this.mayHoldSurrogates = true;
    }
    this.recent = recent.slice(-window);
  }

  /**
   * Applies a committed op if it is the next one; ops this head already has
   * are ignored, so a refresh racing with a local commit is harmless.
   * Returns false when the op would leave a gap (the caller must reload).
   */
  apply(op: CommittedOp): boolean {
    if (op.version <= this.version) return true;
    if (op.version !== this.version + 1) return false;
    this.document.apply(op.delta);
    this.mayHoldSurrogates ||= holdsSurrogates(op.delta.ops);
    this.bytesSinceSnapshot += opsBytes(op.delta.ops);
    this.version = op.version;
    this.frozen = null;
    this.recent.push(op);
    if (this.recent.length > this.window * 2) this.recent = this.recent.slice(-this.window);
    return true;
  }

  /** A snapshot at `version` was stored. */
  noteSnapshot(version: number): void {
    if (version === this.version) this.bytesSinceSnapshot = 0;
  }

  /** The content at `version`, for readers: the same object (and JSON, once made) until the next op. */
  read(): HeadContent {
    if (this.frozen) return this.frozen;
    const document = this.document.clone(); // one array of blocks: this head goes on changing, readers keep theirs
    const { version } = this;
    this.frozen = {
      version,
      length: document.length,
      bytes: document.size,
      get content() {
        return document.toDelta();
      },
      json: () => document.json(),
      jsonParts: () => document.jsonParts(),
      utf8: () => document.storedUtf8(),
    };
    return this.frozen;
  }

  /** The content at `version` (built when read; the same object until the next op). */
  get content(): Delta {
    return this.document.toDelta();
  }

  /** The first ops of `content`, holding at least `units` (not canonical: ChunkedDocument.opening). */
  opening(units: number): DeltaOp[] {
    return this.document.opening(units);
  }

  /** The UTF-16 unit at `index` of the content (0 outside it or for an embed). */
  unitAt(index: number): number {
    return this.document.unitAt(index);
  }

  /** Length of `content` in Quill units (characters + embeds). */
  get length(): number {
    return this.document.length;
  }

  /**
   * Size of `content` in bytes (content-bytes.ts), kept up to date per op
   * from the region the op rewrites (O(op), not O(document)). Ops that only
   * a chunk boundary keeps apart count apart: at most a few bytes more.
   */
  get bytes(): number {
    return this.document.size;
  }

  /** A copy of the content to try changes on (`apply`, then read `size` and `length`); this head stays as it is. */
  draft(): ContentDraft {
    return this.document.clone();
  }

  /** The content after `ops` (the next ones after `version`), leaving this head as it is. */
  contentAfter(ops: ReadonlyArray<{ delta: Delta }>): Delta {
    const document = this.document.clone();
    for (const op of ops) document.apply(op.delta);
    return document.toDelta();
  }

  /** Ops with version > `base` if the window still holds all of them, else null. */
  opsAfter(base: number): CommittedOp[] | null {
    if (base >= this.version) return [];
    const first = this.version - this.recent.length + 1;
    if (base + 1 < first) return null;
    return this.recent.slice(base + 1 - first);
  }
}

/**
 * `content` with `ops` applied in order (what folding Delta.compose gives),
 * through a chunked copy: each compose copies the whole content, and on
 * a large formatted document deep-copies every op's attributes.
 */
export function composeAll(content: Delta | StoredDocument, ops: ReadonlyArray<{ delta: Delta }>): Delta {
  if (ops.length === 0 && content instanceof Delta) return content;
  const document = content instanceof Delta ? new ChunkedDocument(content) : ChunkedDocument.fromStored(content);
  for (const op of ops) document.apply(op.delta);
  return document.toDelta();
}
