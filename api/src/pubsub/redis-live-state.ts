// Whether published events reach this node, over one Redis (below) or a
// Redis Cluster (redis-cluster.ts): the op feed polls the log while not.
import type { Redis } from 'ioredis';
import type { LiveState } from '../collab/feed.ts';

export interface RedisLiveState extends LiveState {
  /** A SUBSCRIBE sent while not healthy: not healthy again until Redis has answered it too. */
  track(subscribed: Promise<unknown>): void;
}

/**
 * What both live states share: `ready()` is the connections' own condition;
 * healthy is that with every tracked SUBSCRIBE answered. `check()` tells the
 * listeners when healthy changed (call it whenever `ready()` may have).
 */
export function liveStateListeners(ready: () => boolean): { state: RedisLiveState; check: () => void } {
  const listeners = new Set<(healthy: boolean) => void>();
  let unanswered = 0;
  const healthy = () => ready() && unanswered === 0;
  let last = healthy();
  const check = () => {
    const now = healthy();
    if (now === last) return;
    last = now;
    for (const l of listeners) l(now);
  };
  const state: RedisLiveState = {
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
  return { state, check };
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
  let confirmed = subscriber.status === 'ready';
  /** Bumped on every change of the subscriber's connection: a PONG from an older connection proves nothing. */
  let epoch = 0;
  const { state, check } = liveStateListeners(() => publisher.status === 'ready' && subscriber.status === 'ready' && confirmed);
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
  return state;
}
