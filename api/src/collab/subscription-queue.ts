// An async-iterable buffer for bus events: events pushed before anyone
// iterates are kept, so a subscription is live from the moment it exists
// (yoga's Repeater only attaches its listener on the first `next()`, which
// would open exactly the window the exact stream must not have).
import type { BusSubscription } from './types.ts';

export interface SubscriptionQueue<T> extends BusSubscription<T> {
  push(event: T): void;
}

/**
 * `limit` bounds memory for a consumer that stops reading: past it, events
 * are dropped. Streams notice the version gap and read the log instead.
 */
export function createSubscriptionQueue<T>(onClose: () => void, limit = 10_000): SubscriptionQueue<T> {
  const buffer: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | null = null;
  let closed = false;

  const close = () => {
    if (closed) return;
    closed = true;
    buffer.length = 0;
    onClose();
    waiting?.({ value: undefined, done: true });
    waiting = null;
  };

  return {
    push(event) {
      if (closed) return;
      if (waiting) {
        const resolve = waiting;
        waiting = null;
        resolve({ value: event, done: false });
      } else if (buffer.length < limit) {
        buffer.push(event);
      }
    },
    close,
    drain: () => buffer.splice(0),
    [Symbol.asyncIterator]() {
      return {
        next: () => {
          if (buffer.length > 0) return Promise.resolve({ value: buffer.shift()!, done: false });
          if (closed) return Promise.resolve({ value: undefined, done: true });
          return new Promise<IteratorResult<T>>((resolve) => (waiting = resolve));
        },
        return: () => {
          close();
          return Promise.resolve({ value: undefined, done: true });
        },
      };
    },
  };
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
