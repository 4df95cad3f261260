// Threads and suggestions placed on the text the editor shows. The server
// answers each at its head version; the editor may be behind it (the op
// stream has not got there yet: the item waits), at it (placed, then moved
// over the editor's own unacknowledged edits and the suggestion being
// typed), or past it (the answer is stale: read again). Once placed, an
// item moves with every change the editor shows, by the rules the server
// uses (protocol/anchor.ts for anchors; protocol/rebase.ts, the committed
// change winning ties, for suggestions), so it stays on its text between
// reads without a read per op.
import { transformAnchor, type AnchorRange } from '../../../protocol/anchor.ts';
import { transformOverCommitted } from '../../../protocol/rebase.ts';
import { Delta, isNoop } from '../sync/index.ts';

export interface ServerThread {
  id: string;
  anchor: { version: number; index: number; length: number } | null;
}

export interface ServerSuggestion {
  id: string;
  version: number;
  delta: { ops: Array<Record<string, unknown>> };
}

/** What the editor shows, relative to the server: its version, the edits on top (unacknowledged, then a draft). */
export interface EditorState {
  version(): number;
  /** Changes applied on top of the server's content at version(), in order. */
  onTop(): Array<Delta | null>;
}

type Waiting<T> = { version: number; value: T };

export class Placements {
  /** Placed anchors (null: detached), in the editor's positions. */
  readonly threads = new Map<string, AnchorRange | null>();
  /** Placed suggestions: changes of the editor's content. */
  readonly suggestions = new Map<string, Delta>();
  private readonly waitingThreads = new Map<string, Waiting<AnchorRange>>();
  private readonly waitingSuggestions = new Map<string, Waiting<Delta>>();
  private readonly editor: EditorState;
  private readonly stale: () => void;

  /** `stale`: an answer is older than the editor: read the lists again. */
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
    const version = this.editor.version();
    let placed = false;
    let stale = false;
    for (const [id, w] of this.waitingThreads) {
      if (w.version > version) continue;
      if (w.version < version) {
        stale = true;
        continue;
      }
      let range: AnchorRange | null = w.value;
      for (const change of this.editor.onTop()) if (change) range = transformAnchor(range, change);
      this.threads.set(id, range);
      this.waitingThreads.delete(id);
      placed = true;
    }
    for (const [id, w] of this.waitingSuggestions) {
      if (w.version > version) continue;
      if (w.version < version) {
        stale = true;
        continue;
      }
      let delta = w.value;
      // The editor's own edits go first, as they will when the server commits them.
      for (const change of this.editor.onTop()) if (change) delta = transformOverCommitted(change, delta);
      this.suggestions.set(id, delta);
      this.waitingSuggestions.delete(id);
      placed = true;
    }
    if (stale) this.stale();
    return placed;
  }

  /** The editor showed `change` (anyone's edit, or a draft coming or going). */
  moved(change: Delta): void {
    for (const [id, range] of this.threads) this.threads.set(id, transformAnchor(range, change));
    for (const [id, delta] of this.suggestions) {
      const next = transformOverCommitted(change, delta);
      // Its text is gone: the server will call it OUTDATED on the next read.
      if (isNoop(next)) this.suggestions.delete(id);
      else this.suggestions.set(id, next);
    }
  }
}
