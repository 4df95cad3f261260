// The access bus: membership removals, document deletions and session
// revocations, so every node ends the streams and sockets they concern.
// In-process when REDIS_URL is unset; otherwise over the node's Redis
// connections (redis-connections.ts), borrowed, on a channel of its own.
// Access changes are rare: one node-wide topic. On a Redis Cluster it is a
// sharded channel like the documents' (channels.ts says why).
import type { Bus } from '../collab/types.ts';
import { createEventTargetBus, createLocalBus } from './event-target-bus.ts';
import type { RedisConnections } from './redis-connections.ts';

/** `decode` turns what Redis hands back (parsed JSON) into an event (auth/access-watch.ts owns their shape). */
export function createAccessBus<E>(redis: RedisConnections | undefined, prefix: string, decode: (detail: unknown) => E): Bus<E> {
  if (!redis) return createLocalBus<E>();
  return createEventTargetBus({
    target: redis.events,
    decode,
    prefix,
    // The event target does not await SUBSCRIBE; subscribing again and
    // awaiting the reply does. While Redis is away the subscriber queues it.
    confirm: (topic) => redis.subscribe(topic),
    // Nor PUBLISH: while Redis is down its rejection would go unhandled and
    // end the process. Same wire format (JSON), awaited; it fails fast (this
    // node has already acted locally).
    send: (channel, event) => redis.publish(channel, JSON.stringify(event)),
  });
}
