// A Bus over an EventTarget: the in-process one (embedded mode) or
// `@graphql-yoga/redis-event-target` (scaled mode). Events travel as
// CustomEvent details; `decode` turns a received detail back into the
// event type (Redis hands back parsed JSON: dates as strings, no classes).
import type { Bus, BusSubscription } from '../collab/types.ts';
import { createSubscriptionQueue } from '../collab/subscription-queue.ts';

export interface EventTargetBusOptions<T> {
  target: EventTarget;
  decode: (detail: unknown) => T;
  /** Waits until the transport confirms a subscription to `topic`. */
  confirm?: (topic: string) => Promise<void>;
  /** Prefix of every topic (separates tenants and test runs on one Redis). */
  prefix?: string;
  /**
   * Sends an event and settles when the transport took it. Defaults to
   * dispatching on the target (the Redis event target publishes without
   * awaiting: its rejections would go unhandled, so Redis passes its own).
   */
  send?: (topic: string, event: T) => Promise<void>;
}

export function createEventTargetBus<T>(options: EventTargetBusOptions<T>): Bus<T> {
  const { target, decode, confirm, prefix = '', send } = options;
  return {
    async publish(topic, event) {
      if (send) await send(prefix + topic, event);
      else target.dispatchEvent(new CustomEvent(prefix + topic, { detail: event }));
    },
    async subscribe(topic): Promise<BusSubscription<T>> {
      const name = prefix + topic;
      const listener = (event: Event) => queue.push(decode((event as CustomEvent).detail));
      const queue = createSubscriptionQueue<T>(() => target.removeEventListener(name, listener));
      target.addEventListener(name, listener);
      if (confirm) {
        try {
          await confirm(name);
        } catch (error) {
          queue.close();
          throw error;
        }
      }
      return queue;
    },
  };
}

/** In-process bus: events are delivered synchronously, as the same objects. */
export function createLocalBus<T>(): Bus<T> {
  return createEventTargetBus<T>({ target: new EventTarget(), decode: (detail) => detail as T });
}
