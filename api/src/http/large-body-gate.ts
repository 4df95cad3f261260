// Large request bodies take turns. A 400 KB editDocument costs the node
// tens of milliseconds of its one thread (parsing, hashing, committing,
// fanning out); twenty agents sending them at once put all of that ahead of
// a person's keystroke. A request whose body is large waits here once its
// body has been read, so at most `limit` of them are being handled at once
// and a small request queues behind at most that much big work. Small
// requests never wait.
//
// The turn is taken after the body is read, not before: a client that
// declares a large body and sends it slowly would otherwise hold a turn
// for as long as it likes, and every other large request with it.
//
// Turns alone still leave the thread busy with big work all the time when
// agents send in a loop: each step of a person's request (read, commit,
// publish, answer) then queues behind a slice of it. So each turn is
// followed by a rest, `rest` times as long as the turn took, before the
// next large request starts: while large requests queue they get at most
// 1 / (1 + rest) of the node's time, and people find it free the rest.
// Only while people are there: with no small request in the last second
// (an agent alone on the node) turns follow each other without a rest.
//
// Over the WebSocket the same holds for a mutation whose message is large
// (server.ts: its execution takes the turn, not its subscription, which
// would hold it for as long as it streams).

/** Bodies above this many bytes take a turn. */
export const LARGE_BODY_BYTES = 64 * 1024;

export interface LargeBodyGateOptions {
  /** Large requests handled at once. */
  limit: number;
  /** Rest after each turn, as a multiple of the turn's length (0: none), while small requests come. */
  rest: number;
  /** The clock and the timer (tests pass their own). */
  now?: () => number;
  after?: (ms: number, fn: () => void) => void;
}

/** A small request this recently (ms) means people are being served: turns rest. */
const PEOPLE_WINDOW_MS = 1_000;

export class LargeBodyGate {
  private readonly limit: number;
  private readonly rest: number;
  private readonly now: () => number;
  private readonly after: (ms: number, fn: () => void) => void;
  private lastSmallAt = -Infinity;
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(options: LargeBodyGateOptions) {
    this.limit = options.limit;
    this.rest = options.rest;
    this.now = options.now ?? (() => performance.now());
    this.after = options.after ?? ((ms, fn) => setTimeout(fn, ms).unref());
  }

  /** A small request is being handled (one that does not go through run(): a WebSocket operation). */
  noteSmall(): void {
    this.lastSmallAt = this.now();
  }

  /** Runs `fn` now for a small body, else in its turn (first come, first served). */
  async run<T>(bodyBytes: number, fn: () => Promise<T>): Promise<T> {
    if (bodyBytes <= LARGE_BODY_BYTES) {
      this.noteSmall();
      return fn();
    }
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    const started = this.now();
    try {
      return await fn();
    } finally {
      const ended = this.now();
      const restMs = ended - this.lastSmallAt <= PEOPLE_WINDOW_MS ? this.rest * (ended - started) : 0;
      if (restMs >= 1) this.after(restMs, () => this.pass());
      else this.pass();
    }
  }

  /** The turn passes straight to the next in line (active stays counted), or is given back. */
  private pass(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.active--;
  }

  /** Large requests holding a turn. */
  get inProgress(): number {
    return this.active;
  }

  /** Large requests waiting for a turn. */
  get waiting(): number {
    return this.queue.length;
  }
}
