// The Redis presence store on one Redis of its own: what a write leaves in
// Redis, and that its scripts survive Redis forgetting them (a restart
// empties the script cache; writes go by SHA).
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis } from '../../test/cluster/processes.ts';
import { waitFor } from '../../test/wait-for.ts';
import { presenceKey, type PresenceState } from '../collab/presence.ts';
import { connectRedis } from './redis-connections.ts';
import { RedisPresenceStore } from './redis-presence-store.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

const documentId = 'doc-1';
const state = (clientId: string, index: number): PresenceState => ({ documentId, clientId, userId: 'u', owner: 'o', version: 1, index, length: 0, updatedAt: new Date() });

async function privateStore() {
  const redis = await startRedis();
  cleanups.push(() => redis.stop());
  const connections = await connectRedis(redis.url);
  cleanups.push(() => connections.close());
  return { redis, commands: connections.commands, store: new RedisPresenceStore(connections.commands, 'p:') };
}

describe('Redis presence store', { timeout: 60_000 }, () => {
  it("writes an entry's state and expiry in one step, and keeps both keys a minute past the latest expiry", async () => {
    const { commands, store } = await privateStore();
    const expiresAt = Date.now() + 30_000;
    await store.put(state('one', 3), expiresAt);
    await store.put(state('one', 7), expiresAt + 1_000);

    const key = presenceKey(state('one', 7));
    expect(Number(await commands.zscore(`p:presence:{${documentId}}:expiry`, key))).toBe(expiresAt + 1_000);
    expect(JSON.parse((await commands.hget(`p:presence:{${documentId}}:state`, key))!)).toMatchObject({ clientId: 'one', index: 7 });
    for (const suffix of ['expiry', 'state']) {
      const ttl = await commands.pttl(`p:presence:{${documentId}}:${suffix}`);
      // The second put's expiry (31 s ahead) plus a minute, less the time since.
      expect(ttl).toBeGreaterThan(85_000);
      expect(ttl).toBeLessThanOrEqual(91_000);
    }
    expect((await store.list(documentId, Date.now())).map((p) => [p.clientId, p.index])).toEqual([['one', 7]]);
  });

  it('keeps writing, removing and sweeping after a Redis restart has emptied its script cache', async () => {
    const { redis, commands, store } = await privateStore();
    await store.put(state('one', 1), Date.now() + 30_000);

    await redis.stop();
    await redis.start();
    if (commands.status !== 'ready') await waitFor(once(commands, 'ready'), { what: 'the client to reconnect to the restarted Redis' });
    expect(await commands.script('EXISTS', '0'.repeat(40))).toEqual([0]); // a fresh Redis: it knows no script

    const now = Date.now();
    await store.put(state('one', 2), now + 30_000);
    await store.put(state('two', 5), now + 1);
    expect((await store.list(documentId, now)).map((p) => [p.clientId, p.index]).sort()).toEqual([
      ['one', 2],
      ['two', 5],
    ]);
    expect((await store.sweep(documentId, now + 2)).map((p) => p.clientId)).toEqual(['two']);
    expect(await store.remove(documentId, presenceKey(state('one', 2)), 'o')).toMatchObject({ clientId: 'one', index: 2 });
    expect(await store.list(documentId, now)).toEqual([]);
  });
});
