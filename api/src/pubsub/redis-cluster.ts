// The node's Redis connections on a Redis Cluster (REDIS_CLUSTER_NODES):
// the same roles as over one Redis (redis-connections.ts), with sharded
// pub/sub (Redis >= 7), so a document's traffic touches only the shard
// that owns its slot: its channels are `…doc:{id}:ops` / `:presence`, and
// the {id} hash tag puts them (and its presence keys) in one slot.
//
// - `commands`: a Cluster client for the presence store, the rate limiters
//   and publishing (SPUBLISH). It fails fast like the single Redis' one (no offline
//   queue, one retry) and refreshes its slot map every few seconds as well
//   as on every MOVED.
// - `subscriber`: a second Cluster client with ioredis' sharded subscribers
//   (one SSUBSCRIBE connection per master), for receiving only.
//
// Publishing is SPUBLISH to the channel's shard. A node whose slot map is
// stale after a failover still reaches it: the old master, now a replica
// of the same shard, takes the SPUBLISH and forwards it to the shard's
// other nodes over the cluster bus (Redis 7.0); a node outside the shard
// answers MOVED, which ioredis follows, refreshing its map.
//
// @graphql-yoga/redis-event-target cannot do sharded pub/sub (it calls
// subscribe/unsubscribe/publish and listens to 'message'), so the cluster
// gets a small event target of its own below; the single-Redis path keeps
// yoga's.
//
// What a failover does to subscriptions, and how the live state follows:
// the old master drops its shard channels at once (it sends SUNSUBSCRIBE,
// which ioredis reports as a node error), and ioredis moves its sharded
// subscribers to the new master only when it next refreshes its slot map.
// Until then this node hears nothing from that shard. So any disturbance
// of the subscriber (node errors, subscribers replaced, reconnects) makes
// the node not live: the op feed polls the log. It is live again once the
// slot map has been refreshed and every channel's SSUBSCRIBE, sent after
// that, has been answered; the feed's polls after that cover whatever was
// published in between (the same rule as over one Redis: redis-live-state.ts).
import { Cluster } from 'ioredis';
import type { RedisConnections } from './redis-connections.ts';
import { liveStateListeners, type RedisLiveState } from './redis-live-state.ts';

/**
 * How often both clients re-read the slot map besides on MOVED, ms: bounds
 * how long a node misses a topology change it was not told of (a failover
 * tells subscribers at once: see below). Each read opens a short connection.
 */
const SLOTS_REFRESH_MS = 5_000;
/** How long one read of the slot map may take, ms (ioredis' 1 s fails on a busy machine, and at start-up that fails the start). */
const SLOTS_REFRESH_TIMEOUT_MS = 5_000;
/** How long start-up waits for the first confirmation, ms; after that the node starts on log reads and goes live when it can. */
const FIRST_CONFIRMATION_MS = 10_000;

export async function connectRedisCluster(
  nodes: Array<{ host: string; port: number }>,
  onError: (error: unknown) => void,
  retryStrategy: (attempt: number) => number,
): Promise<RedisConnections> {
  const commands = new Cluster(nodes, {
    lazyConnect: true,
    enableOfflineQueue: false,
    enableAutoPipelining: true,
    clusterRetryStrategy: retryStrategy,
    slotsRefreshInterval: SLOTS_REFRESH_MS,
    slotsRefreshTimeout: SLOTS_REFRESH_TIMEOUT_MS,
    redisOptions: { maxRetriesPerRequest: 1 },
  });
  const subscriber = new Cluster(nodes, {
    lazyConnect: true,
    shardedSubscribers: true,
    clusterRetryStrategy: retryStrategy,
    slotsRefreshInterval: SLOTS_REFRESH_MS,
    slotsRefreshTimeout: SLOTS_REFRESH_TIMEOUT_MS,
    redisOptions: { maxRetriesPerRequest: null },
  });
  for (const c of [commands, subscriber]) c.on('error', onError);
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    live.dispose();
    commands.disconnect();
    subscriber.disconnect();
  };
  const events = new ShardedEventTarget(subscriber, onError);
  const live = clusterLiveState(commands, subscriber, () => events.topics(), onError);
  try {
    await Promise.all([commands.connect(), subscriber.connect()]);
  } catch (error) {
    await close();
    throw error;
  }
  // Live from the start, like a single Redis, unless that takes too long (then it keeps trying).
  await live.start(FIRST_CONFIRMATION_MS);
  return {
    commands,
    events,
    publish: async (channel, message) => void (await commands.spublish(channel, message)),
    subscribe: async (channel) => void (await subscriber.ssubscribe(channel)),
    live,
    ping: async () => {
      await Promise.all([commands.ping(), subscriber.status === 'ready' ? Promise.resolve() : Promise.reject(new Error('subscriber not ready'))]);
    },
    close,
  };
}

/**
 * Receiving over sharded pub/sub: the first listener of a topic sends
 * SSUBSCRIBE (to the shard that owns its slot), the last one leaving sends
 * SUNSUBSCRIBE; failures go to onError (the bus confirms subscriptions on
 * its own, awaited). Messages are JSON, as over one Redis.
 */
class ShardedEventTarget extends EventTarget {
  private readonly listeners = new Map<string, Set<EventListenerOrEventListenerObject>>();
  private readonly subscriber: Cluster;
  private readonly onError: (error: unknown) => void;

  constructor(subscriber: Cluster, onError: (error: unknown) => void) {
    super();
    this.subscriber = subscriber;
    this.onError = onError;
    subscriber.on('smessage', (channel: string, message: string) => {
      if (!this.listeners.has(channel)) return;
      let detail: unknown;
      try {
        detail = message === '' ? null : JSON.parse(message);
      } catch (error) {
        return onError(error);
      }
      super.dispatchEvent(new CustomEvent(channel, { detail }));
    });
  }

  /** Topics with listeners: the ones a failover must bring back. */
  topics(): string[] {
    return [...this.listeners.keys()];
  }

  override addEventListener(topic: string, listener: EventListenerOrEventListenerObject | null): void {
    if (!listener) return;
    let set = this.listeners.get(topic);
    if (!set) {
      set = new Set();
      this.listeners.set(topic, set);
      this.subscriber.ssubscribe(topic).catch(this.onError);
    }
    set.add(listener);
    super.addEventListener(topic, listener);
  }

  override removeEventListener(topic: string, listener: EventListenerOrEventListenerObject | null): void {
    const set = this.listeners.get(topic);
    if (!listener || !set?.delete(listener)) return;
    super.removeEventListener(topic, listener);
    if (set.size > 0) return;
    this.listeners.delete(topic);
    this.subscriber.sunsubscribe(topic).catch(this.onError);
  }

  /** Receiving only: publishing goes through RedisConnections.publish, awaited. */
  override dispatchEvent(): boolean {
    throw new Error('publish through RedisConnections.publish');
  }
}

interface ClusterLiveState extends RedisLiveState {
  /** Begins watching; resolves when live, or after `withinMs`. */
  start(withinMs: number): Promise<void>;
  dispose(): void;
}

/**
 * Live while both clients are ready and every subscribed topic has been
 * confirmed since the subscriber's last disturbance (see the top of this
 * file). A confirmation round refreshes the slot map, then re-sends
 * SSUBSCRIBE for every topic and waits for the answers; a disturbance
 * during the round makes it start over, a failure retries with backoff.
 * (Redis keeps one subscription per channel however often it is sent;
 * ioredis' own list of a slot's channels gains a copy per round, until the
 * channel's SUNSUBSCRIBE removes them all. Rounds only follow disturbances.)
 */
function clusterLiveState(commands: Cluster, subscriber: Cluster, topics: () => string[], onError: (error: unknown) => void): ClusterLiveState {
  let confirmed = false;
  /** Bumped on every disturbance: a round that began before one proves nothing. */
  let epoch = 0;
  let round: Promise<void> | null = null;
  let stopped = false;
  let retryTimer: NodeJS.Timeout | null = null;
  const { state, check } = liveStateListeners(() => !stopped && commands.status === 'ready' && subscriber.status === 'ready' && confirmed);
  const refreshSlots = () => new Promise<void>((resolve, reject) => subscriber.refreshSlotsCache((error) => (error ? reject(error) : resolve())));
  const confirm = (attempt = 0) => {
    if (round || stopped || confirmed || subscriber.status !== 'ready') return; // a round is running, or 'ready' starts one
    round = (async () => {
      const mine = epoch;
      try {
        await refreshSlots();
        await Promise.all(topics().map((topic) => subscriber.ssubscribe(topic)));
        if (mine === epoch) confirmed = true;
        attempt = 0;
      } catch (error) {
        if (mine === epoch) onError(error);
        attempt++;
      }
    })().finally(() => {
      round = null;
      check();
      if (confirmed || stopped) return;
      // Disturbed during the round: at once. Failed: after a backoff (100 ms .. 2 s).
      const wait = attempt === 0 ? 0 : Math.min(100 * 2 ** attempt, 2_000);
      retryTimer = setTimeout(() => {
        retryTimer = null;
        confirm(attempt);
      }, wait);
      retryTimer.unref();
    });
  };
  const disturb = () => {
    epoch++;
    confirmed = false;
    check();
    confirm();
  };
  // 'nodeError' carries the SUNSUBSCRIBE a failed-over master sends; '-subscriber': ioredis dropped a sharded subscriber (its master left).
  for (const event of ['nodeError', 'node error', '-node', '-subscriber', 'error', 'close', 'end', 'reconnecting']) subscriber.on(event, disturb);
  subscriber.on('ready', () => confirm());
  subscriber.on('subscribersReady', () => confirm());
  for (const event of ['ready', 'close', 'end', 'reconnecting', 'error', 'node error', '-node']) commands.on(event, check);
  return {
    ...state,
    async start(withinMs) {
      // Connected: no topics yet, so the first round only reads the slot map.
      disturb();
      if (state.healthy()) return;
      let unwatch = () => {};
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        unwatch = state.onChange((up) => up && resolve());
        timer = setTimeout(resolve, withinMs);
      });
      unwatch();
      clearTimeout(timer);
    },
    dispose() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      check();
    },
  };
}
