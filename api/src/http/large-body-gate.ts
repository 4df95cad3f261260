// Large request bodies take turns. A 400 KB editDocument costs the node
// tens of milliseconds of its one thread (reading, parsing, hashing,
// committing, fanning out); twenty agents sending them at once put all of
// that ahead of a person's keystroke. Requests that declare a large body
// (or none: chunked) wait here, before their body is read (the client's
// bytes wait in TCP buffers, costing nothing), so at most `limit` of them
// are in the node at once and a small request queues behind at most that
// much big work. Small requests never wait.
import type { IncomingMessage } from 'node:http';

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
  async run<T>(req: IncomingMessage, fn: () => Promise<T>): Promise<T> {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared <= LARGE_BODY_BYTES) return fn();
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
