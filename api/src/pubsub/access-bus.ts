// The access bus: membership removals, document deletions and session
// revocations, so every node ends the streams and sockets they concern.
// In-process when REDIS_URL is unset; otherwise its own pair of Redis
// connections (a subscriber cannot publish), kept apart from the op and
// presence buses. Access changes are rare: one node-wide topic.
import { Redis } from 'ioredis';
import { decodeAccessEvent, type AccessEvent } from '../auth/access-watch.js';
import type { Bus } from '../collab/types.js';
import { redisEventTarget } from './buses.js';
import { createEventTargetBus, createLocalBus } from './event-target-bus.js';

export interface AccessBus {
  bus: Bus<AccessEvent>;
  close(): Promise<void>;
}

export async function createAccessBus(redisUrl: string | undefined, prefix: string, onError: (error: unknown) => void): Promise<AccessBus> {
  if (!redisUrl) return { bus: createLocalBus<AccessEvent>(), close: async () => {} };
  const retryStrategy = (attempt: number) => Math.min(100 * 2 ** attempt, 2_000);
  // Publishing fails fast while Redis is away (this node has already acted
  // locally); the subscriber queues its SUBSCRIBE and resubscribes on reconnect.
  const publishClient = new Redis(redisUrl, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 1, retryStrategy });
  const subscribeClient = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: null, retryStrategy });
  for (const c of [publishClient, subscribeClient]) c.on('error', onError);
  await Promise.all([publishClient.connect(), subscribeClient.connect()]);
  const target = redisEventTarget(publishClient, subscribeClient, onError);
  return {
    bus: createEventTargetBus({
      target,
      decode: decodeAccessEvent,
      prefix,
      // The event target does not await SUBSCRIBE; subscribing again and awaiting the reply does.
      confirm: async (topic) => void (await subscribeClient.subscribe(topic)),
      // Nor PUBLISH: while Redis is down its rejection would go unhandled and
      // end the process. Same wire format (JSON), awaited.
      send: async (channel, event) => void (await publishClient.publish(channel, JSON.stringify(event))),
    }),
    close: async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
