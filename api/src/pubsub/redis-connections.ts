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
//   redis-live-state.ts tracks its health for the op feed.
//
// All of a node's channels (ops, presence, access) share the subscriber
// through one event target, so each message is parsed once and a channel's
// SUBSCRIBE/UNSUBSCRIBE is counted in one place. Their names never overlap.
//
// A Redis Cluster (REDIS_CLUSTER_NODES) gets the same two roles over
// ioredis' Cluster client, with sharded pub/sub: redis-cluster.ts. Everything
// else sees only the interface below, so buses, access bus, presence store
// and rate limits run unchanged on either.
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis, type Cluster } from 'ioredis';
import { connectRedisCluster } from './redis-cluster.ts';
import { redisLiveState, type RedisLiveState } from './redis-live-state.ts';

/** Where a node's Redis is: one server (REDIS_URL) or a cluster's seed nodes (REDIS_CLUSTER_NODES). */
export type RedisTarget = { url: string } | { clusterNodes: Array<{ host: string; port: number }> };

export interface RedisConnections {
  /** Commands (presence store, rate limits); fails fast while Redis is away. Keys of one multi-key command must share a hash tag. */
  commands: Redis | Cluster;
  /** The node's one event target (receiving only; send with `publish`). */
  events: EventTarget;
  /** PUBLISH (one Redis) or SPUBLISH to the channel's shard (cluster), awaited; fails fast while Redis is away. */
  publish(channel: string, message: string): Promise<void>;
  /** (S)SUBSCRIBEs again and resolves when Redis has answered: from then on the channel is live. Queues while Redis is away. */
  subscribe(channel: string): Promise<void>;
  /** Whether published events currently reach this node (the op feed polls the log while not; collab_pubsub_up). */
  live: RedisLiveState;
  /** Throws unless Redis answers the command connection and the subscriber is up (for /readyz). */
  ping(): Promise<void>;
  /** Disconnects everything; later calls do nothing. */
  close(): Promise<void>;
}

/** Wait before reconnect attempt n (from 1), in ms: 200, 400, ... at most 2 s. */
export const retryStrategy = (attempt: number) => Math.min(100 * 2 ** attempt, 2_000);

/** The node's Redis connections: one Redis or a Redis Cluster. */
export function connectRedis(target: RedisTarget | string, onError: (error: unknown) => void = () => {}): Promise<RedisConnections> {
  if (typeof target === 'string') return connectSingleRedis(target, onError);
  return 'url' in target ? connectSingleRedis(target.url, onError) : connectRedisCluster(target.clusterNodes, onError, retryStrategy);
}

async function connectSingleRedis(url: string, onError: (error: unknown) => void): Promise<RedisConnections> {
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
    events: redisEventTarget(commands, subscriber, onError),
    publish: async (channel, message) => void (await commands.publish(channel, message)),
    subscribe: async (channel) => void (await subscriber.subscribe(channel)),
    live: redisLiveState(commands, subscriber, onError),
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
