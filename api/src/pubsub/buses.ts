// The two buses of a node: committed ops and presence. In-process when
// REDIS_URL is unset; Redis (@graphql-yoga/redis-event-target, two ioredis
// connections: a subscriber connection cannot publish) otherwise.
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import type { PresenceState } from '../collab/presence.js';
import { Delta } from '../collab/quill-delta.js';
import type { Bus, CommittedOp } from '../collab/types.js';
import { createEventTargetBus, createLocalBus } from './event-target-bus.js';

export interface Buses {
  ops: Bus<CommittedOp>;
  presence: Bus<PresenceState>;
  /** Throws unless the transport answers (for /readyz). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function createLocalBuses(): Buses {
  return { ops: createLocalBus(), presence: createLocalBus(), ping: async () => {}, close: async () => {} };
}

// Redis hands back parsed JSON: rebuild the Delta and the dates.
type Wire<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Delta ? { ops: Delta['ops'] } : T[K] };
const decodeOp = (detail: unknown): CommittedOp => {
  const op = detail as Wire<CommittedOp>;
  return { ...op, delta: new Delta(op.delta.ops), createdAt: new Date(op.createdAt) };
};
const decodePresence = (detail: unknown): PresenceState => {
  const p = detail as Wire<PresenceState>;
  return { ...p, updatedAt: new Date(p.updatedAt) };
};

export async function createRedisBuses(url: string, prefix: string): Promise<Buses> {
  const options = { lazyConnect: true, maxRetriesPerRequest: null };
  const publishClient = new Redis(url, options);
  const subscribeClient = new Redis(url, options);
  await Promise.all([publishClient.connect(), subscribeClient.connect()]);
  const target = createRedisEventTarget({ publishClient, subscribeClient }) as unknown as EventTarget;
  // The event target sends SUBSCRIBE without waiting for it; subscribing
  // again and awaiting the reply is how we know the channel is live.
  const confirm = async (topic: string) => {
    await subscribeClient.subscribe(topic);
  };
  return {
    ops: createEventTargetBus({ target, decode: decodeOp, confirm, prefix }),
    presence: createEventTargetBus({ target, decode: decodePresence, confirm, prefix }),
    ping: async () => {
      await publishClient.ping();
    },
    close: async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}
