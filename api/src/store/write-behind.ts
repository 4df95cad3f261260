// Writes a read leaves for after its answer. Reading a document's threads
// or suggestions moves them to the head (comments/threads.ts,
// suggestions/suggestions.ts), and a read that moved them far stores them
// back, so the next read starts from there. Those UPDATEs (1,000 rows for
// 1,000 threads) used to sit between the read and its answer; the answer
// needs none of them. Then they ran right after the answer, and the next
// request (embedded, on the same thread and the same one-statement-at-a-
// time database) waited behind them. Now they wait for a quiet moment of
// the node (http/activity.ts: no request for a while), and take the next
// slice only at another one; a node that is never quiet gets them at a
// deadline (maxWaitMs after they were scheduled), a slice at a time. One
// at a time per document and kind.
//
// Nothing here is needed for correctness: a placement not yet stored (or
// never, if the node stops first) is only moved again by the next read, and
// every write is guarded by the version it places at, so a write that runs
// late never replaces a newer one (another node's, or a later read's).
// Several reads of one document before its write runs leave one write: the
// newest placement (later ones replace it while it waits).

/** What the services need of a WriteBehind (tests hand them one that runs writes when told). */
export interface WriteScheduler {
  schedule(key: string, version: number, write: Write): void;
  idle(): Promise<void>;
}

/**
 * A write in steps (inSlices): it awaits `turn()` between them, which
 * resolves when the next step may run. Called without one, it runs its
 * steps one after the other.
 */
export type Write = (turn?: () => Promise<void>) => Promise<void>;

export interface WriteBehindOptions {
  /** Told when a write failed (nothing is lost: the next read moves what it would have stored). */
  onError?: (error: unknown) => void;
  /**
   * Resolves at a moment the node can spare, or at `deadline` (on `now`'s
   * clock) whatever it is doing (Activity.quiet). @default after the current
   * work (setImmediate: after the microtasks that finish the read and hand its reply to the socket)
   */
  quiet?: (deadline: number) => Promise<void>;
  /** The longest a write waits for quiet moments, ms from when it was scheduled; after that its steps run one per turn of the event loop. @default 10_000 */
  maxWaitMs?: number;
  /** The clock of `quiet`'s deadlines, ms. @default performance.now */
  now?: () => number;
}

interface Waiting {
  version: number;
  write: Write;
  /** When the first write of this key still waiting was scheduled (a newer placement keeps it: no write waits past the deadline for being replaced). */
  since: number;
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A promise and what settles it. */
function signal(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

export class WriteBehind implements WriteScheduler {
  private readonly onError: (error: unknown) => void;
  private readonly quiet: (deadline: number) => Promise<void>;
  private readonly maxWaitMs: number;
  private readonly now: () => number;
  /** Resolves (and is replaced) when idle() is called: writes stop waiting for quiet. */
  private hurry = signal();
  private hurrying = 0;
  /** Per key (a document's threads, or its suggestions): the write waiting for its turn. */
  private readonly waiting = new Map<string, Waiting>();
  /** Per key: the write running now, and the version it places at. */
  private readonly running = new Map<string, { version: number; done: Promise<void> }>();

  constructor(options: WriteBehindOptions = {}) {
    this.onError = options.onError ?? (() => {});
    this.quiet = options.quiet ?? nextTurn;
    this.maxWaitMs = options.maxWaitMs ?? 10_000;
    this.now = options.now ?? (() => performance.now());
  }

  /**
   * Runs `write` (which stores a placement made at `version`) at a quiet
   * moment, unless a write for `key` at `version` or later is already
   * waiting or running.
   */
  schedule(key: string, version: number, write: Write): void {
    const waiting = this.waiting.get(key);
    if (waiting && waiting.version >= version) return;
    const running = this.running.get(key);
    if (!waiting && running && running.version >= version) return;
    this.waiting.set(key, { version, write, since: waiting?.since ?? this.now() });
    if (!waiting && !running) this.startAtTurn(key);
  }

  /**
   * Resolves once every write scheduled so far (and any they make room for)
   * has finished, running them now rather than at quiet moments: on
   * shutdown, before the database closes.
   */
  async idle(): Promise<void> {
    this.hurrying++;
    this.hurry.resolve();
    try {
      while (this.running.size > 0 || this.waiting.size > 0) {
        // A write waiting for its turn has not started yet: let it.
        if (this.running.size === 0) await nextTurn();
        else await Promise.all([...this.running.values()].map((r) => r.done));
      }
    } finally {
      if (--this.hurrying === 0) this.hurry = signal();
    }
  }

  /** Resolves when a write scheduled at `since` may take its next step. */
  private turn(since: number): Promise<void> {
    if (this.hurrying > 0) return nextTurn();
    return Promise.race([this.quiet(since + this.maxWaitMs), this.hurry.promise]);
  }

  private startAtTurn(key: string): void {
    const job = this.waiting.get(key)!;
    void this.turn(job.since).then(() => this.next(key));
  }

  private next(key: string): void {
    const job = this.waiting.get(key);
    if (!job || this.running.has(key)) return;
    this.waiting.delete(key);
    const done = job
      .write(() => this.turn(job.since))
      .catch((error: unknown) => this.onError(error))
      .finally(() => {
        this.running.delete(key);
        if (this.waiting.has(key)) this.startAtTurn(key);
      });
    this.running.set(key, { version: job.version, done });
  }
}

/**
 * A write of `items` in slices of `size`, each its own statement, with a
 * turn between them: embedded, the database runs on the node's thread, and
 * a request arriving meanwhile waits for one slice, not for all of them.
 */
export function inSlices<T>(items: readonly T[], size: number, write: (slice: T[]) => Promise<unknown>): Write {
  return async (turn) => {
    for (let at = 0; at < items.length; at += size) {
      if (at > 0) await turn?.();
      await write(items.slice(at, at + size));
    }
  };
}
