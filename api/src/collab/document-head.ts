// What a node keeps in memory per document: the head version, the head
// content and a window of the latest ops (to rebase submissions without a
// database read). Always contiguous: the window ends at `version`.
// The sync engine's applyChange (pure; quill-delta only) is shared with the
// server: compose() on a long formatted head costs a deep copy per op.
import { applyChange } from '../../../web/src/sync/delta.js';
import type { Delta } from './quill-delta.js';
import type { CommittedOp } from './types.js';

export class DocumentHead {
  version: number;
  content: Delta;
  /** Length of `content` in Quill units (characters + embeds). */
  length: number;
  /** The newest ops, ascending; the last one (if any) has `version`. */
  private recent: CommittedOp[];

  constructor(version: number, content: Delta, recent: CommittedOp[], private readonly window: number) {
    this.version = version;
    this.content = content;
    this.length = content.length();
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
    this.content = applyChange(this.content, op.delta);
    this.length += op.delta.changeLength();
    this.version = op.version;
    this.recent.push(op);
    if (this.recent.length > this.window * 2) this.recent = this.recent.slice(-this.window);
    return true;
  }

  /** Ops with version > `base` if the window still holds all of them, else null. */
  opsAfter(base: number): CommittedOp[] | null {
    if (base >= this.version) return [];
    const first = this.version - this.recent.length + 1;
    if (base + 1 < first) return null;
    return this.recent.slice(base + 1 - first);
  }
}

