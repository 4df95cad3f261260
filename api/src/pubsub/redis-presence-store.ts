// Presence shared by all nodes: per document, a sorted set of entry keys
// (user, clientId) scored by expiry time and a hash of their states.
// Removing (a socket closed) and sweeping (expired) are Lua scripts, so
// that of several nodes removing one entry exactly one gets it back and
// announces the leave. Writing (every cursor move) is a script too: as
// MULTI, ZADD, HSET, two PEXPIREs and EXEC it cost the node ~48 µs of CPU
// a move in ioredis, as one script call ~11 µs (bench/README, "Presence in
// Redis"). Scripts go by their SHA (EVALSHA; ioredis sends the text only
// when Redis does not know it yet). The keys themselves expire when a
// document goes quiet. A node that dies takes its sockets' entries with it
// only by TTL: the next sweep of a node watching the document announces them.
import type { Cluster, Redis } from 'ioredis';
import { presenceKey, type PresenceState, type PresenceStore } from '../collab/presence.ts';
import { decodePresence } from './codec.ts';

// KEYS: expiries, states. ARGV: entry key, expiry time, state, the keys' TTL (ms).
const PUT = `
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
return 1`;

// KEYS: expiries, states. ARGV: entry key, owner ('' = any). Returns the removed state or nil.
const REMOVE = `
local v = redis.call('HGET', KEYS[2], ARGV[1])
if not v then return nil end
if ARGV[2] ~= '' then
  local ok, s = pcall(cjson.decode, v)
  if not ok or s.owner ~= ARGV[2] then return nil end
end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[1], ARGV[1])
return v`;

// KEYS: expiries, states. ARGV: now, most to remove. Returns the removed states.
const SWEEP = `
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, m in ipairs(stale) do
  local v = redis.call('HGET', KEYS[2], m)
  redis.call('ZREM', KEYS[1], m)
  redis.call('HDEL', KEYS[2], m)
  if v then out[#out + 1] = v end
end
return out`;

/** Entries removed per document per sweep; the rest go on the next one. */
const SWEEP_BATCH = 1_000;

/** The scripts, as commands defined on the client (defineCommand); each takes the two keys first. */
interface PresenceScripts {
  presencePut(expiries: string, states: string, key: string, expiresAt: number, state: string, ttlMs: number): Promise<unknown>;
  presenceRemove(expiries: string, states: string, key: string, owner: string): Promise<string | null>;
  presenceSweep(expiries: string, states: string, now: number, most: number): Promise<string[]>;
}

export class RedisPresenceStore implements PresenceStore {
  private readonly redis: Redis | Cluster;
  private readonly scripts: PresenceScripts;
  private readonly prefix: string;
  /** `redis`: one Redis or a cluster; each command's keys share the {documentId} hash tag, so one slot serves it. */
  constructor(redis: Redis | Cluster, prefix: string) {
    this.redis = redis;
    this.prefix = prefix;
    redis.defineCommand('presencePut', { numberOfKeys: 2, lua: PUT });
    redis.defineCommand('presenceRemove', { numberOfKeys: 2, lua: REMOVE });
    redis.defineCommand('presenceSweep', { numberOfKeys: 2, lua: SWEEP });
    this.scripts = redis as unknown as PresenceScripts;
  }

  private keys(documentId: string) {
    const base = `${this.prefix}presence:{${documentId}}`; // {…}: one Cluster slot per document
    return { expiries: `${base}:expiry`, states: `${base}:state` };
  }

  async put(state: PresenceState, expiresAt: number): Promise<void> {
    const { expiries, states } = this.keys(state.documentId);
    const key = presenceKey(state);
    // Every entry lives ttl, so the latest put sets the keys' expiry; they
    // outlive their last entry by a minute so that a sweep can still find and announce it.
    const ttl = Math.max(1, expiresAt - Date.now()) + 60_000;
    await this.scripts.presencePut(expiries, states, key, expiresAt, JSON.stringify(state), ttl);
  }

  async list(documentId: string, now: number): Promise<PresenceState[]> {
    const { expiries, states } = this.keys(documentId);
    // Expired entries are left to the sweep, which announces them.
    const live = await this.redis.zrangebyscore(expiries, `(${now}`, '+inf');
    if (live.length === 0) return [];
    const values = await this.redis.hmget(states, ...live);
    return values.flatMap((v) => (v ? [decodePresence(JSON.parse(v))] : []));
  }

  async remove(documentId: string, key: string, owner?: string): Promise<PresenceState | null> {
    const { expiries, states } = this.keys(documentId);
    const removed = await this.scripts.presenceRemove(expiries, states, key, owner ?? '');
    return removed ? decodePresence(JSON.parse(removed)) : null;
  }

  async sweep(documentId: string, now: number): Promise<PresenceState[]> {
    const { expiries, states } = this.keys(documentId);
    const removed = await this.scripts.presenceSweep(expiries, states, now, SWEEP_BATCH);
    return removed.map((v) => decodePresence(JSON.parse(v)));
  }

  async forget(documentId: string): Promise<void> {
    const { expiries, states } = this.keys(documentId);
    await this.redis.del(expiries, states);
  }
}
