// An async-iterable buffer for bus events: events pushed before anyone
// iterates are kept, so a subscription is live from the moment it exists
// (yoga's Repeater only attaches its listener on the first `next()`, which
// would open exactly the window the exact stream must not have).
import type { BusSubscription } from './types.ts';

export interface SubscriptionQueue<T> extends BusSubscription<T> {
  push(event: T): void;
}

/** Told when one of its queues closes: an owner of many queues passes itself instead of a closure per queue. */
export interface QueueOwner<T> {
  queueClosed(queue: SubscriptionQueue<T>): void;
}

/**
 * `limit` bounds memory for a consumer that stops reading: past it, events
 * are dropped. Streams notice the version gap and read the log instead.
 */
export function createSubscriptionQueue<T>(onClose: (() => void) | QueueOwner<T>, limit = 10_000): SubscriptionQueue<T> {
  return new Queue<T>(onClose, limit);
}

/**
 * A class, not closures: every live subscriber of a node holds one (its
 * own iterator too: the queue is its own), so its methods are shared.
 */
class Queue<T> implements SubscriptionQueue<T>, AsyncIterator<T> {
  private buffer: T[] | null = null;
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private closed = false;
  private readonly onClose: (() => void) | QueueOwner<T>;
  private readonly limit: number;
  constructor(onClose: (() => void) | QueueOwner<T>, limit: number) {
    this.onClose = onClose;
    this.limit = limit;
  }

  push(event: T): void {
    if (this.closed) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: event, done: false });
    } else if ((this.buffer ??= []).length < this.limit) {
      this.buffer.push(event);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.buffer = null;
    if (typeof this.onClose === 'function') this.onClose();
    else this.onClose.queueClosed(this);
    this.waiting?.({ value: undefined, done: true });
    this.waiting = null;
  }

  drain(): T[] {
    const events = this.buffer ?? [];
    this.buffer = null;
    return events;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffer && this.buffer.length > 0) return Promise.resolve({ value: this.buffer.shift()!, done: false });
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise<IteratorResult<T>>((resolve) => (this.waiting = resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this;
  }
}

/**
 * Yields `initial` first, then the live events. Open the subscription
 * before reading `initial`, so nothing published in between is missed.
 */
export function startWith<T>(initial: readonly T[], live: BusSubscription<T>): AsyncIterableIterator<T> {
  const queue = [...initial];
  const iterator = live[Symbol.asyncIterator]();
  return {
    next: () => (queue.length > 0 ? Promise.resolve({ value: queue.shift()!, done: false }) : iterator.next()),
    return: async () => {
      live.close();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
