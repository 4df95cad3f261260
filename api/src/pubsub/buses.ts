// The buses of a node: committed ops, presence and comment threads. In-process when
// REDIS_URL is unset; otherwise over the node's Redis connections
// (redis-connections.ts), which this module borrows and does not close.
//
// Redis pub/sub is at most once and loses messages while reconnecting, so
// nothing correct depends on it: streams fill gaps from the log, and
// `live` tells the op feed when to poll the log instead.
import type { Redis } from 'ioredis';
import { ALWAYS_LIVE, type LiveState } from '../collab/feed.ts';
import { MemoryPresenceStore, type PresenceState, type PresenceStore } from '../collab/presence.ts';
import type { Bus, CommittedOp } from '../collab/types.ts';
import type { ThreadView } from '../comments/threads.ts';
import { decodeOp, decodePresence, decodeThread } from './codec.ts';
import { createEventTargetBus, createLocalBus } from './event-target-bus.ts';
import { RedisPresenceStore } from './redis-presence-store.ts';
import type { RedisConnections } from './redis-connections.ts';

export interface Buses {
  ops: Bus<CommittedOp>;
  presence: Bus<PresenceState>;
  /** Comment threads as they change. */
  threads: Bus<ThreadView>;
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
    presenceStore: new MemoryPresenceStore(),
    live: ALWAYS_LIVE,
    ping: async () => {},
  };
}

export interface RedisLiveState extends LiveState {
  /** A SUBSCRIBE sent while not healthy: not healthy again until Redis has answered it too. */
  track(subscribed: Promise<unknown>): void;
}

/**
 * Tracks whether published events reach this node, and tells listeners on
 * change: the publisher is ready, and the subscriber is ready AND has
 * answered a PING sent after it came back. ioredis reports a reconnected
 * subscriber ready as soon as it has re-sent its SUBSCRIBEs, before Redis
 * has processed them; an op published in between is lost to this node.
 * Redis answers a connection in order, so the PONG means the subscriptions
 * are live again, and the feed's next poll of the log covers everything
 * published before (OperationFeed counts its polls from this moment).
 */
export function redisLiveState(publisher: Redis, subscriber: Redis, onError: (error: unknown) => void = () => {}): RedisLiveState {
  const listeners = new Set<(healthy: boolean) => void>();
  let confirmed = subscriber.status === 'ready';
  let unanswered = 0;
  /** Bumped on every change of the subscriber's connection: a PONG from an older connection proves nothing. */
  let epoch = 0;
  const healthy = () => publisher.status === 'ready' && subscriber.status === 'ready' && confirmed && unanswered === 0;
  let last = healthy();
  const check = () => {
    const now = healthy();
    if (now === last) return;
    last = now;
    for (const l of listeners) l(now);
  };
  for (const event of ['close', 'end', 'reconnecting']) {
    subscriber.on(event, () => {
      epoch++;
      confirmed = false;
      check();
    });
  }
  subscriber.on('ready', () => {
    const mine = ++epoch;
    confirmed = false;
    subscriber.ping().then(
      () => {
        if (mine !== epoch) return;
        confirmed = true;
        check();
      },
      (error: unknown) => {
        if (mine === epoch) onError(error); // the connection dropped again: its next 'ready' pings again
      },
    );
  });
  for (const event of ['ready', 'close', 'end', 'reconnecting', 'error']) publisher.on(event, check);
  subscriber.on('error', check);
  return {
    healthy,
    onChange: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    track(subscribed) {
      unanswered++;
      check();
      void subscribed.finally(() => {
        unanswered--;
        check();
      });
    },
  };
}

/**
 * The Redis buses over `redis`'s connections. The op feed's live state
 * watches the command connection and the subscriber: see redisLiveState.
 */
export function createRedisBuses(redis: RedisConnections, prefix: string, onError: (error: unknown) => void = () => {}): Buses {
  const { commands: publishClient, subscriber: subscribeClient, events: target } = redis;
  const live = redisLiveState(publishClient, subscribeClient, onError);
  // The event target sends SUBSCRIBE without waiting for it; subscribing
  // again and awaiting the reply is how we know the channel is live. While
  // Redis is down there is nothing to wait for: the feed polls the log, and
  // keeps polling until this SUBSCRIBE is answered as well. That includes a
  // SUBSCRIBE sent just before the connection dropped: ioredis re-sends it
  // after the reconnect, so waiting for its answer would hold the stream
  // (no catch-up, no ops) for as long as Redis stays away.
  const confirm = async (topic: string) => {
    const subscribed = subscribeClient.subscribe(topic).then(
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
  const send = async (channel: string, event: unknown) => {
    await publishClient.publish(channel, JSON.stringify(event));
  };
  return {
    ops: createEventTargetBus({ target, decode: decodeOp, confirm, prefix, send }),
    presence: createEventTargetBus({ target, decode: decodePresence, confirm, prefix, send }),
    threads: createEventTargetBus({ target, decode: decodeThread, confirm, prefix, send }),
    presenceStore: new RedisPresenceStore(publishClient, prefix),
    live,
    ping: () => redis.ping(),
  };
}
