// The buses on a Redis Cluster (REDIS_CLUSTER_NODES; `scripts/redis-cluster.sh
// start` makes one): a document's channels are sharded channels on the one
// shard that owns its slot, presence keys work there, and a master failover
// takes the node off live delivery until its subscriptions are back on the
// new master, with nothing published after that lost.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { redisTarget } from '../../test/harness.ts';
import { startRedisCluster } from '../../test/cluster/processes.ts';
import { waitFor } from '../../test/wait-for.ts';
import { Delta } from '../../../protocol/delta.ts';
import { presenceKey, type PresenceState } from '../collab/presence.ts';
import type { BusSubscription, CommittedOp } from '../collab/types.ts';
import { createRedisBuses, type Buses } from './buses.ts';
import { operationsTopic } from './channels.ts';
import { connectRedis, type RedisConnections } from './redis-connections.ts';

const clusterNodes = process.env.REDIS_CLUSTER_NODES;
if (!clusterNodes) console.warn('[tests] REDIS_CLUSTER_NODES not set (scripts/redis-cluster.sh start prints it): the Redis Cluster bus tests are SKIPPED.');

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

const opAt = (documentId: string, version: number): CommittedOp => ({
  documentId,
  version,
  delta: new Delta().insert('x'),
  clientId: 'c',
  clientSeq: version,
  authorId: null,
  createdAt: new Date(),
});

async function node(target: Parameters<typeof connectRedis>[0], prefix: string): Promise<{ connections: RedisConnections; buses: Buses }> {
  const connections = await connectRedis(target);
  cleanups.push(() => connections.close());
  return { connections, buses: createRedisBuses(connections, prefix) };
}

/** The next op from a subscription, within a bound. */
const next = (subscription: BusSubscription<CommittedOp>, what: string) =>
  waitFor(
    subscription[Symbol.asyncIterator]()
      .next()
      .then((r) => r.value as CommittedOp),
    { what },
  );

/** Resolves on the next change of the bus's live state to `up`. */
const turns = (buses: Buses, up: boolean) => new Promise<void>((resolve) => buses.live.onChange((now) => now === up && resolve()));

describe.skipIf(!clusterNodes)('buses on a Redis Cluster', { timeout: 120_000 }, () => {
  it("carries a document's ops between nodes over a sharded channel of the shard that owns its slot, and nowhere else", async () => {
    const prefix = `rc-${randomBytes(4).toString('hex')}:`;
    const [a, b] = [await node(redisTarget('cluster'), prefix), await node(redisTarget('cluster'), prefix)];
    expect(b.buses.live.healthy()).toBe(true);
    const documentId = randomBytes(6).toString('hex');
    const subscription = await b.buses.ops.subscribe(operationsTopic(documentId));
    await a.buses.ops.publish(operationsTopic(documentId), opAt(documentId, 1));
    expect(await next(subscription, 'the op published on node a, on node b')).toMatchObject({ documentId, version: 1 });

    // Where the channel lives: a shard channel on the masters of its slot's shard only, never a classic channel.
    const channel = prefix + operationsTopic(documentId);
    const seed = redisTarget('cluster');
    if (!('clusterNodes' in seed)) throw new Error('not a cluster');
    const probe = new Redis(seed.clusterNodes[0]!);
    cleanups.push(async () => probe.disconnect());
    const slot = await probe.cluster('KEYSLOT', channel);
    const shards = await probe.cluster('SLOTS');
    const masters = shards.map(([start, end, master]) => ({ owns: slot >= start && slot <= end, host: master![0], port: master![1] }));
    for (const m of masters) {
      const direct = new Redis({ host: m.host, port: m.port });
      cleanups.push(async () => direct.disconnect());
      expect(await direct.call('PUBSUB', 'SHARDCHANNELS', channel), `shard channels on ${m.port}`).toEqual(m.owns ? [channel] : []);
      expect(await direct.call('PUBSUB', 'CHANNELS', channel), `classic channels on ${m.port}`).toEqual([]);
    }
    subscription.close();
  });

  it('keeps presence of a document in its one slot: put, list, remove and sweep', async () => {
    const { buses } = await node(redisTarget('cluster'), `rc-${randomBytes(4).toString('hex')}:`);
    const documentId = randomBytes(6).toString('hex');
    const state = (clientId: string): PresenceState => ({ documentId, clientId, userId: 'u', owner: 'o', version: 1, index: 0, length: 0, updatedAt: new Date() });
    const now = Date.now();
    await buses.presenceStore.put(state('one'), now + 60_000);
    await buses.presenceStore.put(state('two'), now + 1);
    expect((await buses.presenceStore.list(documentId, now + 2)).map((p) => p.clientId)).toEqual(['one']);
    expect((await buses.presenceStore.sweep(documentId, now + 2)).map((p) => p.clientId)).toEqual(['two']);
    const [entry] = await buses.presenceStore.list(documentId, now);
    expect(entry).toBeDefined();
    expect(await buses.presenceStore.remove(documentId, presenceKey(entry!), 'someone else')).toBeNull();
    expect(await buses.presenceStore.remove(documentId, presenceKey(entry!), 'o')).toMatchObject({ clientId: 'one' });
    await buses.presenceStore.forget(documentId);
    expect(await buses.presenceStore.list(documentId, now)).toEqual([]);
  });

  it("is not live from a failover of the document's shard until its subscription is back on the new master; nothing published after is lost", async () => {
    const cluster = await startRedisCluster();
    cleanups.push(() => cluster.stop());
    const seeds = cluster.nodes.split(',').map((s) => ({ host: '127.0.0.1', port: Number(s.split(':')[1]) }));
    const prefix = `rc-${randomBytes(4).toString('hex')}:`;
    const [a, b] = [await node({ clusterNodes: seeds }, prefix), await node({ clusterNodes: seeds }, prefix)];
    const documentId = randomBytes(6).toString('hex');
    const subscription = await b.buses.ops.subscribe(operationsTopic(documentId));
    await a.buses.ops.publish(operationsTopic(documentId), opAt(documentId, 1));
    expect(await next(subscription, 'the op before the failover')).toMatchObject({ version: 1 });

    // Live before the failover: `down` waits for a change to not-live, and
    // on a loaded machine node b may still be confirming its subscription
    // (then it is not live yet, and no change would ever come).
    if (!b.buses.live.healthy()) await waitFor(turns(b.buses, true), { what: 'node b to be live before the failover' });
    const down = turns(b.buses, false);
    const up = turns(b.buses, true);
    const channel = prefix + operationsTopic(documentId);
    const { from, to } = await cluster.failover(channel);
    expect(to).not.toBe(from);
    // At once, while node a's slot map may still name the old master (now a
    // replica of the shard): a subscriber on the new master gets what node a publishes.
    const direct = new Redis({ host: '127.0.0.1', port: to });
    cleanups.push(async () => direct.disconnect());
    await direct.ssubscribe(channel);
    const heard = new Promise<string>((resolve) => direct.on('smessage', (_: string, message: string) => resolve(message)));
    await a.buses.ops.publish(operationsTopic(documentId), opAt(documentId, 2));
    expect(JSON.parse(await waitFor(heard, { what: 'the op published right after the failover, on the new master' }))).toMatchObject({ version: 2 });
    await waitFor(down, { what: 'node b to stop trusting live delivery after the failover' });
    await waitFor(up, { what: 'node b to be live again on the new master' });
    // Live means this subscription is on the new master, and node a publishes there (not to the old master, now a replica).
    // (Op 2 reaches node b too if its subscription was back in time: either way is right.)
    const received: number[] = [];
    for (let version = 3; version <= 5; version++) {
      await a.buses.ops.publish(operationsTopic(documentId), opAt(documentId, version));
      while (!received.includes(version)) received.push((await next(subscription, `op ${version}, published once node b was live again`)).version);
    }
    expect(received.filter((v) => v >= 3)).toEqual([3, 4, 5]);
    subscription.close();
  });
});
