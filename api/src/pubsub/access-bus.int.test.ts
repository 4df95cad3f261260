// The access bus over a private Redis that goes away: publishing must not
// throw or crash the process (this node still acts locally), and events flow
// between two buses again once Redis is back.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type PrivateRedis } from '../../test/cluster/processes.ts';
import { AccessWatch, decodeAccessEvent, type AccessEvent } from '../auth/access-watch.ts';
import type { Bus } from '../collab/types.ts';
import { createAccessBus } from './access-bus.ts';
import { connectRedis, type RedisConnections } from './redis-connections.ts';

const hasRedis = spawnSync('which', ['redis-server']).status === 0;
if (!hasRedis) console.warn('[tests] redis-server not installed: the access bus outage test is SKIPPED.');

describe.skipIf(!hasRedis)('access bus when Redis goes away', () => {
  let redis: PrivateRedis;
  const nodes: RedisConnections[] = [];
  const buses: Bus<AccessEvent>[] = [];
  const errors: unknown[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    // Two nodes: each its own connections.
    nodes.push(await connectRedis(redis.url, (e) => errors.push(e)), await connectRedis(redis.url, (e) => errors.push(e)));
    buses.push(...nodes.map((node) => createAccessBus(node, 'acc-test:', decodeAccessEvent)));
  });
  afterAll(async () => {
    for (const node of nodes) await node.close();
    await redis?.stop();
  });

  it('acts locally and never throws while Redis is down, and delivers across buses again when it is back', async () => {
    const [here, there] = [new AccessWatch(buses[0]!, (e) => errors.push(e)), new AccessWatch(buses[1]!, (e) => errors.push(e))];
    const stopListening = await there.listen();
    const heard = (watch: AccessWatch, documentId: string) => new Promise<AccessEvent>((resolve) => watch.addDocumentWatcher(documentId, { userId: 'u', accessLost: resolve }));

    const acrossBefore = heard(there, 'd1');
    await here.publish({ kind: 'document-deleted', documentId: 'd1' });
    expect(await acrossBefore).toEqual({ kind: 'document-deleted', documentId: 'd1' });

    await redis.stop();
    const local = heard(here, 'd2');
    const failuresBefore = errors.length;
    await expect(here.publish({ kind: 'document-deleted', documentId: 'd2' })).resolves.toBeUndefined();
    expect(await local).toEqual({ kind: 'document-deleted', documentId: 'd2' }); // this node acted
    expect(errors.length).toBeGreaterThan(failuresBefore); // and reported the lost publish

    await redis.start();
    // ioredis reconnects and resubscribes by itself: wait until a publish gets across (events, no sleep).
    const acrossAfter = heard(there, 'd3');
    let delivered = false;
    void acrossAfter.then(() => (delivered = true));
    while (!delivered) {
      await here.publish({ kind: 'document-deleted', documentId: 'd3' });
      await Promise.race([acrossAfter, new Promise((r) => setImmediate(r))]);
    }
    expect(await acrossAfter).toEqual({ kind: 'document-deleted', documentId: 'd3' });
    stopListening();
  });
});
