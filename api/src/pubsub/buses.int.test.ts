// The Redis buses when Redis goes away at the worst moment: a stream that
// subscribes just as the connection drops must start at once (catch-up and
// ops from the log), not when Redis comes back; and the bus reports itself
// live again only once that subscription is live too.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { startRedis } from '../../test/cluster/processes.ts';
import { waitFor } from '../../test/wait-for.ts';
import { Delta } from '../../../protocol/delta.ts';
import type { CommittedOp } from '../collab/types.ts';
import { createRedisBuses, type Buses } from './buses.ts';
import { connectRedis } from './redis-connections.ts';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

const op: CommittedOp = { documentId: 'd', version: 1, delta: new Delta().insert('x'), clientId: 'c', clientSeq: 0, authorId: null, createdAt: new Date() };

/** Resolves on the next change of the bus's live state to `up`. */
const turns = (buses: Buses, up: boolean) => new Promise<void>((resolve) => buses.live.onChange((now) => now === up && resolve()));

describe('Redis buses across a Redis outage', { timeout: 60_000 }, () => {
  it('opens a subscription whose SUBSCRIBE Redis never answered once the connection drops, and is live again only with it', async () => {
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const connections = await connectRedis(redis.url);
    cleanups.push(() => connections.close());
    const buses = createRedisBuses(connections, `bus-${randomBytes(4).toString('hex')}:`);
    expect(buses.live.healthy()).toBe(true);

    const down = turns(buses, false);
    redis.freeze(); // the SUBSCRIBE below goes out on a healthy connection and is never answered
    const subscribing = buses.ops.subscribe('doc');
    await redis.stop();
    await waitFor(down, { what: 'the bus to notice that Redis is gone', timeoutMs: 10_000 });
    const subscription = await waitFor(subscribing, { what: 'the subscription to open while Redis is down', timeoutMs: 10_000 });
    expect(buses.live.healthy()).toBe(false);

    const up = turns(buses, true);
    await redis.start();
    await waitFor(up, { what: 'the bus to report Redis back', timeoutMs: 20_000 });
    // Live means this subscription too: what is published now arrives.
    await buses.ops.publish('doc', op);
    const received = await waitFor(subscription[Symbol.asyncIterator]().next(), { what: 'the op published after the recovery', timeoutMs: 10_000 });
    expect(received.value).toMatchObject({ documentId: 'd', version: 1, clientId: 'c' });
    subscription.close();
  });
});

describe('Redis buses closing with commands in flight', { timeout: 60_000 }, () => {
  it('leaves no promise rejected unhandled (which would end the process)', async () => {
    const unhandled: unknown[] = [];
    const note = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', note);
    cleanups.push(async () => process.off('unhandledRejection', note));
    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    const connections = await connectRedis(redis.url);
    const buses = createRedisBuses(connections, `bus-${randomBytes(4).toString('hex')}:`);
    redis.freeze(); // every SUBSCRIBE from here on stays unanswered
    const subscribing = buses.ops.subscribe('doc');
    await connections.close(); // ...and is rejected when the connection closes under it
    await subscribing.then((s) => s.close(), () => {});
    // Rejections are reported as unhandled after the microtask queue drains: give it a turn of the event loop.
    await new Promise((resolve) => setImmediate(resolve));
    expect(unhandled).toEqual([]);
  });
});
