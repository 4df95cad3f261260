// The buses of a node: committed ops, presence, comment threads, suggestions and titles. In-process when
// REDIS_URL is unset; otherwise over the node's Redis connections
// (redis-connections.ts), which this module borrows and does not close.
//
// Redis pub/sub is at most once and loses messages while reconnecting, so
// nothing correct depends on it: streams fill gaps from the log, and
// `live` tells the op feed when to poll the log instead.
import { ALWAYS_LIVE, type LiveState } from '../collab/feed.ts';
import { MemoryPresenceStore, type PresenceState, type PresenceStore } from '../collab/presence.ts';
import type { Bus, CommittedOp } from '../collab/types.ts';
import type { ThreadView } from '../comments/threads.ts';
import type { TitleChange } from '../documents/documents.ts';
import type { SuggestionView } from '../suggestions/suggestions.ts';
import type { EventsStamped } from '../events/event-pump.ts';
import { decodeOp, decodePresence, decodeSuggestion, decodeThread, decodeTitle } from './codec.ts';
import { createEventTargetBus, createLocalBus } from './event-target-bus.ts';
import { RedisPresenceStore } from './redis-presence-store.ts';
import type { RedisConnections } from './redis-connections.ts';

export interface Buses {
  ops: Bus<CommittedOp>;
  presence: Bus<PresenceState>;
  /** Comment threads as they change. */
  threads: Bus<ThreadView>;
  /** Suggestions as they are made and settled. */
  suggestions: Bus<SuggestionView>;
  /** Documents' titles as they are renamed. */
  titles: Bus<TitleChange>;
  /** The event outbox was stamped up to a seq: readers look (api/src/events). */
  events: Bus<EventsStamped>;
  presenceStore: PresenceStore;
  /** Whether published events currently reach subscribers. */
  live: LiveState;
  /** Throws unless the transport answers (for /readyz). */
  ping(): Promise<void>;
}

export function createLocalBuses(): Buses {
  return {
    ops: createLocalBus(),
    presence: createLocalBus(),
    threads: createLocalBus(),
    suggestions: createLocalBus(),
    titles: createLocalBus(),
    events: createLocalBus(),
    presenceStore: new MemoryPresenceStore(),
    live: ALWAYS_LIVE,
    ping: async () => {},
  };
}

/**
 * The Redis buses over `redis`'s connections (one Redis or a cluster). The
 * op feed's live state is the connections': see redis-live-state.ts.
 */
export function createRedisBuses(redis: RedisConnections, prefix: string, onError: (error: unknown) => void = () => {}): Buses {
  const { events: target, live } = redis;
  // The event target sends SUBSCRIBE without waiting for it; subscribing
  // again and awaiting the reply is how we know the channel is live. While
  // Redis is down there is nothing to wait for: the feed polls the log, and
  // keeps polling until this SUBSCRIBE is answered as well. That includes a
  // SUBSCRIBE sent just before the connection dropped: ioredis re-sends it
  // after the reconnect, so waiting for its answer would hold the stream
  // (no catch-up, no ops) for as long as Redis stays away.
  const confirm = async (topic: string) => {
    const subscribed = redis.subscribe(topic).then(
      () => true,
      (error: unknown) => {
        onError(error);
        return false;
      },
    );
    if (!live.healthy()) return live.track(subscribed);
    let unwatch = () => {};
    const down = new Promise<false>((resolve) => (unwatch = live.onChange((up) => up || resolve(false))));
    try {
      if (!(await Promise.race([subscribed, down]))) live.track(subscribed);
    } finally {
      unwatch();
    }
  };
  // Same wire format as the event target's own publish (JSON), but awaited,
  // so a failure reaches the caller instead of crashing the process.
  const send = (channel: string, event: unknown) => redis.publish(channel, JSON.stringify(event));
  return {
    ops: createEventTargetBus({ target, decode: decodeOp, confirm, prefix, send }),
    presence: createEventTargetBus({ target, decode: decodePresence, confirm, prefix, send }),
    threads: createEventTargetBus({ target, decode: decodeThread, confirm, prefix, send }),
    suggestions: createEventTargetBus({ target, decode: decodeSuggestion, confirm, prefix, send }),
    titles: createEventTargetBus({ target, decode: decodeTitle, confirm, prefix, send }),
    events: createEventTargetBus({ target, decode: (detail) => ({ head: String((detail as { head?: unknown }).head) }), confirm, prefix, send }),
    presenceStore: new RedisPresenceStore(redis.commands, prefix),
    live,
    ping: () => redis.ping(),
  };
}
