// The Redis connections of a node (scaled mode), made in one place with one
// retry policy, and owned here: the op and presence buses, the presence
// store, the access bus and the rate limits borrow them, and the app closes
// them once, after everything that uses them (app.ts stop()).
//
// Two connections, because they must behave differently while Redis is away:
// - `commands`: PUBLISH, the presence store and the rate limiters. It fails
//   fast (no offline queue, one retry) instead of queueing up behind a dead
//   connection: a published op is already committed and the log covers its
//   delivery; a rate limiter falls back to its in-memory insurance limiter;
//   the access bus has already acted on this node. Auto-pipelining sends the
//   commands of one tick in one write (a commit publishes each of its ops at
//   once) instead of one system call each.
// - `subscriber`: SUBSCRIBE only (a connection in subscriber mode can send
//   nothing else). It keeps its queue so SUBSCRIBEs made during an outage are
//   sent on reconnect, and ioredis resubscribes existing channels by itself.
//   buses.ts' redisLiveState tracks its health for the op feed.
//
// All of a node's channels (ops, presence, access) share the subscriber
// through one event target, so each message is parsed once and a channel's
// SUBSCRIBE/UNSUBSCRIBE is counted in one place. Their names never overlap.
//
// Redis Cluster, when it comes, is added here (and only here): the presence
// keys already carry a {documentId} hash tag for one slot per document.
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';

export interface RedisConnections {
  /** Commands and PUBLISH; fails fast while Redis is away. */
  commands: Redis;
  /** SUBSCRIBE only; queues while Redis is away and resubscribes on reconnect. */
  subscriber: Redis;
  /** The node's one event target over the two (receiving; publish through `commands`, awaited). */
  events: EventTarget;
  /** Throws unless Redis answers the command connection and the subscriber is up (for /readyz). */
  ping(): Promise<void>;
  /** Disconnects both; later calls do nothing. */
  close(): Promise<void>;
}

/** Wait before reconnect attempt n (from 1), in ms: 200, 400, ... at most 2 s. */
const retryStrategy = (attempt: number) => Math.min(100 * 2 ** attempt, 2_000);

export async function connectRedis(url: string, onError: (error: unknown) => void = () => {}): Promise<RedisConnections> {
  const commands = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy, enableAutoPipelining: true });
  const subscriber = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy });
  for (const c of [commands, subscriber]) c.on('error', onError);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    commands.disconnect();
    subscriber.disconnect();
  };
  try {
    await Promise.all([commands.connect(), subscriber.connect()]);
  } catch (error) {
    await close();
    throw error;
  }
  return {
    commands,
    subscriber,
    events: redisEventTarget(commands, subscriber, onError),
    ping: async () => {
      await Promise.all([commands.ping(), subscriber.status === 'ready' ? Promise.resolve() : Promise.reject(new Error('subscriber not ready'))]);
    },
    close,
  };
}

/**
 * yoga's Redis event target, for receiving. It sends SUBSCRIBE and
 * UNSUBSCRIBE without handling their promises; one rejected (the connection
 * closed under it, as on close()) would be an unhandled rejection, which
 * ends the process. So it gets a subscriber whose commands report failures
 * to onError instead. (Publishing goes around it, awaited.)
 */
function redisEventTarget(publishClient: Redis, subscribeClient: Redis, onError: (error: unknown) => void): EventTarget {
  const subscriber = {
    on: subscribeClient.on.bind(subscribeClient),
    subscribe: (channel: string) => subscribeClient.subscribe(channel).catch(onError),
    unsubscribe: (channel: string) => subscribeClient.unsubscribe(channel).catch(onError),
  };
  return createRedisEventTarget({ publishClient, subscribeClient: subscriber as unknown as Redis }) as unknown as EventTarget;
}
