// Threads and suggestions placed on the text the editor shows. The server
// answers each at its head version; the editor may be behind it (the op
// stream has not got there yet: the item waits), at it or past it (moved
// over the server's ops since, while they are still kept; else the answer
// is stale: read again).
//
// Placed items are held at the editor's server version and moved only over
// the server's ops, in log order, by the rules the server uses
// (protocol/anchor.ts for anchors; protocol/suggestion.ts, the rebase rule
// with the committed change winning ties, for suggestions), so they stay on their text between reads
// without a read per op. What is shown is that, moved over the edits on
// top (our unacknowledged edits, then a suggestion being typed), worked
// out when asked. Moving them over the changes in the order the editor
// showed them would not do: with an insert of ours next to an edge whose
// character someone deletes at the same moment, our order and the log's
// can put the insert on different sides of the edge (anchor.test.ts), and
// the editor would keep a range the server does not have.
import { AnchorMover, transformAnchorThrough, type AnchorRange } from '../../../protocol/anchor.ts';
import { SuggestionMover } from '../../../protocol/suggestion.ts';
import { Delta } from '../sync/index.ts';

export interface ServerThread {
  id: string;
  anchor: { version: number; index: number; length: number } | null;
}

export interface ServerSuggestion {
  id: string;
  version: number;
  delta: { ops: Array<Record<string, unknown>> };
}

/** What the editor shows, relative to the server. */
export interface EditorState {
  /** The server version its content is built on. */
  version(): number;
  /** The server's ops after `version` up to version(), oldest first; null once they are no longer kept. */
  committedSince(version: number): Delta[] | null;
  /** Changes shown on top of the server's content at version(), in order (unacknowledged edits, then a draft). */
  onTop(): Array<Delta | null>;
}

/** Placed items in the editor's positions: anchors (null: detached) and suggestions (changes of the editor's content). */
export interface Shown {
  threads: Map<string, AnchorRange | null>;
  suggestions: Map<string, Delta>;
}

type Waiting<T> = { version: number; value: T };

export class Placements {
  /** Placed items at `at`, a server version: anchors (null: detached) and suggestions. */
  private readonly threads = new Map<string, AnchorRange | null>();
  private readonly suggestions = new Map<string, Delta>();
  private at: number | null = null;
  private readonly waitingThreads = new Map<string, Waiting<AnchorRange>>();
  private readonly waitingSuggestions = new Map<string, Waiting<Delta>>();
  private readonly editor: EditorState;
  private readonly stale: () => void;

  /** `stale`: an answer is too old to place: read the lists again. */
  constructor(editor: EditorState, stale: () => void) {
    this.editor = editor;
    this.stale = stale;
  }

  /** The threads as the server answered (any not in the list are gone). */
  setThreads(list: readonly ServerThread[]): void {
    const ids = new Set(list.map((t) => t.id));
    for (const id of [...this.threads.keys()]) if (!ids.has(id)) this.threads.delete(id);
    this.waitingThreads.clear();
    for (const t of list) {
      if (!t.anchor) this.threads.set(t.id, null);
      else this.waitingThreads.set(t.id, { version: t.anchor.version, value: { index: t.anchor.index, length: t.anchor.length } });
    }
    this.place();
  }

  /** The open suggestions as the server answered (any not in the list are settled). */
  setSuggestions(list: readonly ServerSuggestion[]): void {
    const ids = new Set(list.map((s) => s.id));
    for (const id of [...this.suggestions.keys()]) if (!ids.has(id)) this.suggestions.delete(id);
    for (const id of [...this.waitingSuggestions.keys()]) if (!ids.has(id)) this.waitingSuggestions.delete(id);
    for (const s of list) this.waitingSuggestions.set(s.id, { version: s.version, value: new Delta(s.delta.ops as never) });
    this.place();
  }

  /** One suggestion more (just made here), before the list is read again. */
  addSuggestion(s: ServerSuggestion): void {
    this.waitingSuggestions.set(s.id, { version: s.version, value: new Delta(s.delta.ops as never) });
    this.place();
  }

  /** Places what waits for the editor's version, if it is there now. Returns whether anything was placed. */
  place(): boolean {
    this.catchUp();
    const version = this.editor.version();
    let placed = false;
    let stale = false;
    for (const [id, w] of this.waitingThreads) {
      if (w.version > version) continue;
      const since = this.editor.committedSince(w.version);
      if (!since) {
        stale = true;
        continue;
      }
      this.threads.set(id, transformAnchorThrough(w.value, since));
      this.waitingThreads.delete(id);
      placed = true;
    }
    for (const [id, w] of this.waitingSuggestions) {
      if (w.version > version) continue;
      const since = this.editor.committedSince(w.version);
      if (!since) {
        stale = true;
        continue;
      }
      const delta = moved(new SuggestionMover(since), w.value);
      // OUTDATED by the server's rule: it says so on the next read.
      if (delta === null) this.suggestions.delete(id);
      else this.suggestions.set(id, delta);
      this.waitingSuggestions.delete(id);
      placed = true;
    }
    if (stale) this.stale();
    return placed;
  }

  /** The placed items where the editor shows them now. */
  shown(): Shown {
    this.catchUp();
    const onTop = this.editor.onTop().filter((change): change is Delta => change !== null);
    const mover = new AnchorMover(onTop);
    const threads = new Map<string, AnchorRange | null>();
    for (const [id, range] of this.threads) threads.set(id, mover.move(range));
    // The editor's own edits go first, as they will when the server commits them.
    const suggestionMover = new SuggestionMover(onTop);
    const suggestions = new Map<string, Delta>();
    for (const [id, delta] of this.suggestions) {
      const shownDelta = moved(suggestionMover, delta);
      if (shownDelta !== null) suggestions.set(id, shownDelta);
    }
    return { threads, suggestions };
  }

  /** Moves the placed items over the server's ops since `at`, to the editor's version. */
  private catchUp(): void {
    const version = this.editor.version();
    if (this.at === version) return;
    const since = this.at !== null && this.at < version ? this.editor.committedSince(this.at) : null;
    const lost = this.at !== null && !since;
    this.at = version;
    if (lost) {
      // The ops between are no longer kept (or the editor started again elsewhere): ask again.
      if (this.threads.size + this.suggestions.size === 0) return;
      this.threads.clear();
      this.suggestions.clear();
      return this.stale();
    }
    if (!since || since.length === 0) return;
    const mover = new AnchorMover(since);
    for (const [id, range] of this.threads) this.threads.set(id, mover.move(range));
    const suggestionMover = new SuggestionMover(since);
    for (const [id, delta] of this.suggestions) {
      const next = moved(suggestionMover, delta);
      if (next === null) this.suggestions.delete(id);
      else this.suggestions.set(id, next);
    }
  }
}

/**
 * `delta` moved over the mover's changes by the server's suggestion rule,
 * or null when the server would call it OUTDATED. The server judges against
 * the delta as first suggested, which a client never sees; judged against an
 * OPEN suggestion's current delta it comes out the same, since moving a
 * delta never adds to what it deletes or formats (so the first has some
 * exactly when the current one has).
 */
const moved = (mover: SuggestionMover, delta: Delta): Delta | null => {
  const next = mover.move(delta, delta);
  return next.outdated ? null : next.delta;
};
