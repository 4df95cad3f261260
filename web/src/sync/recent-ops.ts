// The last few server ops, kept to bring what was placed at an older
// version up to date: late presence (a selection sent then), threads and
// suggestions (web/src/team/placements.ts).
import type { Delta } from '../../../protocol/delta.ts';

export class RecentOps {
  private readonly deltas: Delta[] = [];
  /** Version of the op at deltas[0]. */
  private first = 1;

  private readonly limit: number;
  constructor(limit: number, headVersion: number) {
    this.limit = limit;
    this.first = headVersion + 1;
  }

  /** Records op `version` (always the next one). */
  push(version: number, delta: Delta): void {
    if (this.deltas.length === 0) this.first = version;
    this.deltas.push(delta);
    if (this.deltas.length > this.limit) {
      this.deltas.shift();
      this.first++;
    }
  }

  /** The engine starts again at `headVersion` (a reload): the ops before it were another line's, or are unknown. */
  restart(headVersion: number): void {
    this.deltas.length = 0;
    this.first = headVersion + 1;
  }

  /** Deltas of the ops after `version`, oldest first; null if some are no longer kept. */
  since(version: number): Delta[] | null {
    if (version + 1 < this.first) return null;
    return this.deltas.slice(version + 1 - this.first);
  }
}
