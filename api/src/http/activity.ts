// Whether the node is serving requests, for work that can wait for a quiet
// moment (store/write-behind.ts: placements a read moved, stored for the
// next read). Embedded, the database runs on the node's one thread and
// takes one statement at a time: such a write started right after an
// answer sits ahead of the next request's queries, which then wait for it
// (an open right after another waited ~30-60 ms behind the first one's
// 1,200 moved placements). Every HTTP request and every query or mutation
// over a socket counts, from its start to its end; streams do not (a
// subscription lasts as long as its socket).

export interface ActivityOptions {
  /** No request for this long (ms), and none being served: quiet. */
  quietMs: number;
  /** The clock (ms) and the timer; tests pass their own. */
  now?: () => number;
  after?: (ms: number, fn: () => void) => void;
}

export class Activity {
  private readonly quietMs: number;
  readonly now: () => number;
  private readonly after: (ms: number, fn: () => void) => void;
  private serving = 0;
  /** When a request last started or ended. */
  private lastAt = -Infinity;
  /** Work waiting for quiet, each until its deadline. */
  private readonly waiting = new Set<{ deadline: number; resolve: () => void }>();
  /** When the earliest timer set for check() fires (one timer for all the waiting, however busy the node). */
  private nextCheckAt = Infinity;

  constructor(options: ActivityOptions) {
    this.quietMs = options.quietMs;
    this.now = options.now ?? (() => performance.now());
    // unref: work waiting for quiet never keeps a stopping process alive (WriteBehind.idle() hurries it instead).
    this.after = options.after ?? ((ms, fn) => setTimeout(fn, ms).unref());
  }

  /** A request starts; call what this returns when it ends (more calls change nothing). */
  begin(): () => void {
    this.serving++;
    this.lastAt = this.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.serving--;
      this.lastAt = this.now();
    };
  }

  /** Requests being served now. */
  get inProgress(): number {
    return this.serving;
  }

  /**
   * Resolves at the first moment nothing is served and nothing was for
   * quietMs, or at `deadline` (on `now`'s clock) whatever the node is
   * doing: work that waits here is not starved by a node that is never quiet.
   */
  quiet(deadline: number): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.add({ deadline, resolve });
      // First let requests that have arrived meanwhile start (setImmediate runs after the poll phase reads them).
      setImmediate(() => this.check());
    });
  }

  private check(): void {
    const t = this.now();
    const quiet = this.serving === 0 && t - this.lastAt >= this.quietMs;
    let earliest = Infinity;
    for (const w of this.waiting) {
      if (quiet || t >= w.deadline) {
        this.waiting.delete(w);
        w.resolve();
      } else {
        earliest = Math.min(earliest, w.deadline);
      }
    }
    if (this.waiting.size === 0) return;
    // Serving: look again after quietMs (the end of a request is not waited on: requests stay free of this).
    const at = Math.min(earliest, this.serving === 0 ? this.lastAt + this.quietMs : t + this.quietMs);
    if (at >= this.nextCheckAt) return;
    this.nextCheckAt = at;
    this.after(Math.max(1, at - t), () => {
      if (this.nextCheckAt === at) this.nextCheckAt = Infinity;
      this.check();
    });
  }
}
