// Writes a read leaves for after its answer. Reading a document's threads
// or suggestions moves them to the head (comments/threads.ts,
// suggestions/suggestions.ts), and a read that moved them far stores them
// back, so the next read starts from there. Those UPDATEs (1,000 rows for
// 1,000 threads) used to sit between the read and its answer; the answer
// needs none of them. Here they start once the read's own work is done
// (setImmediate: after the microtasks that finish executing the query and
// hand its reply to the socket), one at a time per document.
//
// Nothing here is needed for correctness: a placement not yet stored (or
// never, if the node stops first) is only moved again by the next read, and
// every write is guarded by the version it places at, so a write that runs
// late never replaces a newer one (another node's, or a later read's).
// Several reads of one document before its write runs leave one write: the
// newest placement (later ones replace it while it waits).

/** What the services need of a WriteBehind (tests hand them one that runs writes when told). */
export interface WriteScheduler {
  schedule(key: string, version: number, write: () => Promise<void>): void;
  idle(): Promise<void>;
}

export interface WriteBehindOptions {
  /** Told when a write failed (nothing is lost: the next read moves what it would have stored). */
  onError?: (error: unknown) => void;
}

interface Waiting {
  version: number;
  write: () => Promise<void>;
}

export class WriteBehind implements WriteScheduler {
  private readonly onError: (error: unknown) => void;
  /** Per key (a document's threads, or its suggestions): the write waiting for its turn. */
  private readonly waiting = new Map<string, Waiting>();
  /** Per key: the write running now, and the version it places at. */
  private readonly running = new Map<string, { version: number; done: Promise<void> }>();

  constructor(options: WriteBehindOptions = {}) {
    this.onError = options.onError ?? (() => {});
  }

  /**
   * Runs `write` (which stores a placement made at `version`) after the
   * current work, unless a write for `key` at `version` or later is already
   * waiting or running.
   */
  schedule(key: string, version: number, write: () => Promise<void>): void {
    const waiting = this.waiting.get(key);
    if (waiting && waiting.version >= version) return;
    const running = this.running.get(key);
    if (!waiting && running && running.version >= version) return;
    this.waiting.set(key, { version, write });
    if (!waiting && !running) setImmediate(() => this.next(key));
  }

  /** Resolves once every write scheduled so far (and any they make room for) has finished: on shutdown, before the database closes. */
  async idle(): Promise<void> {
    while (this.running.size > 0 || this.waiting.size > 0) {
      // A write waiting for its setImmediate turn has not started yet: let it.
      if (this.running.size === 0) await new Promise<void>((resolve) => setImmediate(resolve));
      else await Promise.all([...this.running.values()].map((r) => r.done));
    }
  }

  private next(key: string): void {
    const job = this.waiting.get(key);
    if (!job || this.running.has(key)) return;
    this.waiting.delete(key);
    const done = job
      .write()
      .catch((error: unknown) => this.onError(error))
      .finally(() => {
        this.running.delete(key);
        if (this.waiting.has(key)) setImmediate(() => this.next(key));
      });
    this.running.set(key, { version: job.version, done });
  }
}

/**
 * A write of `items` in slices of `size`, each its own statement: embedded,
 * the database runs on the node's thread, and a request arriving meanwhile
 * waits for one slice, not for all of them.
 */
export function inSlices<T>(items: readonly T[], size: number, write: (slice: T[]) => Promise<unknown>): () => Promise<void> {
  return async () => {
    for (let at = 0; at < items.length; at += size) await write(items.slice(at, at + size));
  };
}
