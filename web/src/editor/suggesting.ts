// Suggesting mode (docs/protocol.md §15): typing becomes a suggestion
// instead of an edit. The editor keeps what the person typed as a local
// draft on top of the engine's content (the engine never sees it), moves it
// over remote changes exactly as the engine moves its own pending op, and,
// once the typing pauses, takes it back out of the editor and hands it to
// `send` as one delta on the server's content at a known version. From
// then on it is an ordinary suggestion, shown like everyone else's.
//
// Why take the text back out: a suggestion is not part of the content, and
// Quill must show exactly the engine's content for every position (anchors,
// presence, other suggestions) to stay exact. The draft is the one short
// exception, while it is being typed.
import { transformCommittedOverPending, transformOverCommitted } from '../../../protocol/rebase.ts';
import { Delta, isNoop, type DocumentSync } from '../sync/index.ts';

/** Typing that pauses this long (ms) becomes one suggestion. */
export const DRAFT_IDLE_MS = 800;

export interface DraftOut {
  /** The server version `delta` applies to. */
  baseVersion: number;
  delta: Delta;
}

export class SuggestDraft {
  private readonly sync: DocumentSync;
  private readonly send: (out: DraftOut) => void;
  private readonly idleMs: number;
  private on = false;
  /** What was typed, a change of `sync.content` (so Quill shows content ∘ draft); null: nothing. */
  private draft: Delta | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** While a flush waits for the engine's own edits to be acknowledged (the draft must apply to a server version): stops watching. */
  private stopWaiting: (() => void) | null = null;
  /** Takes the draft back out of the editor (set by the editor binding). */
  private revert: ((undo: Delta) => void) | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(sync: DocumentSync, send: (out: DraftOut) => void, idleMs = DRAFT_IDLE_MS) {
    this.sync = sync;
    this.send = send;
    this.idleMs = idleMs;
  }

  get active(): boolean {
    return this.on;
  }

  /** Local typing goes here rather than to the engine: in suggesting mode, or while a draft is still shown. */
  get routes(): boolean {
    return this.on || this.draft !== null;
  }

  /** The unsent draft (a change of `sync.content`), for showing it as pending. */
  get pending(): Delta | null {
    return this.draft;
  }

  setActive(on: boolean): void {
    if (on === this.on) return;
    this.on = on;
    if (!on) this.flush();
    this.changed();
  }

  /** Calls `listener` when the mode or the draft changes. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  attach(revert: (undo: Delta) => void): () => void {
    this.revert = revert;
    return () => {
      if (this.revert === revert) this.revert = null;
    };
  }

  /** A change the person made in the editor (already shown there). */
  edit(change: Delta): void {
    if (isNoop(change)) return;
    this.draft = this.draft ? this.draft.compose(change) : change;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), this.idleMs);
    this.changed();
  }

  /**
   * A remote change of `sync.content`: moves the draft over it (the
   * committed change wins ties, as for the engine's pending op) and returns
   * the change the editor must apply on top of the draft.
   */
  remote(change: Delta): Delta {
    if (!this.draft) return change;
    const shown = transformCommittedOverPending(this.draft, change);
    this.draft = transformOverCommitted(change, this.draft);
    if (isNoop(this.draft)) this.draft = null;
    this.changed();
    return shown;
  }

  /** The editor was reset to the engine's content: the draft is gone with it. */
  reset(): void {
    if (!this.draft) return;
    this.draft = null;
    clearTimeout(this.timer);
    this.changed();
  }

  /** Sends the draft now (the pause is over, the mode switched, or a comment needs exact positions). */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const draft = this.draft;
    if (!draft) return;
    if (this.sync.pendingDelta) {
      // Sent once the engine's own edits are acknowledged.
      this.stopWaiting ??= this.sync.subscribe(() => {
        if (!this.sync.pendingDelta) this.flush();
      });
      return;
    }
    this.stopWaiting?.();
    this.stopWaiting = null;
    const base = this.sync.content;
    this.draft = null;
    if (!isNoop(draft)) {
      this.revert?.(draft.invert(base));
      this.send({ baseVersion: this.sync.getSnapshot().version, delta: draft });
    }
    this.changed();
  }

  /** Stops its timer and its watch on the engine (a draft still shown is not sent). */
  dispose(): void {
    clearTimeout(this.timer);
    this.stopWaiting?.();
    this.stopWaiting = null;
  }

  private changed(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
