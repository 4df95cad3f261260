// Presence shared by all nodes: per document, a sorted set of client ids
// scored by expiry time and a hash of their states. Readers drop expired
// members; the keys themselves expire when a document goes quiet.
import type { Redis } from 'ioredis';
import type { PresenceState, PresenceStore } from '../collab/presence.js';
import { decodePresence } from './codec.js';

export class RedisPresenceStore implements PresenceStore {
  constructor(private readonly redis: Redis, private readonly prefix: string) {}

  private keys(documentId: string) {
    const base = `${this.prefix}presence:{${documentId}}`; // {…}: one Cluster slot per document
    return { expiries: `${base}:expiry`, states: `${base}:state` };
  }

  async put(state: PresenceState, expiresAt: number): Promise<void> {
    const { expiries, states } = this.keys(state.documentId);
    const ttl = Math.max(1, expiresAt - Date.now());
    await this.redis
      .multi()
      .zadd(expiries, expiresAt, state.clientId)
      .hset(states, state.clientId, JSON.stringify(state))
      .pexpire(expiries, ttl)
      .pexpire(states, ttl)
      .exec();
  }

  async list(documentId: string, now: number): Promise<PresenceState[]> {
    const { expiries, states } = this.keys(documentId);
    const stale = await this.redis.zrangebyscore(expiries, '-inf', now);
    if (stale.length > 0) {
      await this.redis.multi().zrem(expiries, ...stale).hdel(states, ...stale).exec();
    }
    const live = await this.redis.zrangebyscore(expiries, `(${now}`, '+inf');
    if (live.length === 0) return [];
    const values = await this.redis.hmget(states, ...live);
    return values.flatMap((v) => (v ? [decodePresence(JSON.parse(v))] : []));
  }

  async forget(documentId: string): Promise<void> {
    const { expiries, states } = this.keys(documentId);
    await this.redis.del(expiries, states);
  }
}
