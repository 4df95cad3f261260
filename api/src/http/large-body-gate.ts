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
// Over the WebSocket the same holds for a mutation whose message is large
// (server.ts: its execution takes the turn, not its subscription, which
// would hold it for as long as it streams).

/** Bodies above this many bytes take a turn. */
export const LARGE_BODY_BYTES = 64 * 1024;

export class LargeBodyGate {
  private readonly limit: number;
  private active = 0;
  private readonly queue: Array<() => void> = [];

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Runs `fn` now for a small body, else in its turn (first come, first served). */
  async run<T>(bodyBytes: number, fn: () => Promise<T>): Promise<T> {
    if (bodyBytes <= LARGE_BODY_BYTES) return fn();
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    else this.active++;
    try {
      return await fn();
    } finally {
      // The turn passes straight to the next in line (active stays counted).
      const next = this.queue.shift();
      if (next) next();
      else this.active--;
    }
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
