// A per-node memory of the two reads every submission used to make: "is this
// session still live?" and "what is this user's role in this document?".
// A busy editor submits several ops a second; each of those reads was a
// database round trip on the hot path.
//
// Entries live at most `ttlMs`, and go at once when the access bus says
// they changed (AccessWatch dispatches every event here, from this node and
// from the others). So a revocation takes effect on this node immediately,
// on other nodes as soon as the access bus delivers it (about a
// millisecond), and at the latest after `ttlMs` if Redis is down meanwhile.
// Writes do not depend on that: the commit checks every author's role and
// session again in the database (collab_append), so a stale entry here can
// let a presence update or a read through for that moment, never a write.
// Only positive answers are kept: a refusal is always read fresh. An answer
// read while a change was being forgotten is not kept either (`epoch`): the
// read may predate the change.
import type { AccessEvent } from './access-watch.ts';
import type { ApiTokenGrant } from './api-tokens.ts';
import type { Role } from './roles.ts';

/** Bounds memory under many users: past it, the oldest half is dropped. */
const MAX_ENTRIES = 50_000;

class ExpiringMap<V> {
  private readonly entries = new Map<string, { value: V; until: number }>();

  private readonly ttlMs: number;
  private readonly now: () => number;
  constructor(ttlMs: number, now: () => number) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.until <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V): void {
    if (this.ttlMs <= 0) return;
    if (this.entries.size >= MAX_ENTRIES) {
      let drop = MAX_ENTRIES / 2;
      for (const k of this.entries.keys()) {
        if (drop-- <= 0) break;
        this.entries.delete(k);
      }
    }
    this.entries.delete(key); // re-insert: Map order is age order
    this.entries.set(key, { value, until: this.now() + this.ttlMs });
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  deleteWhere(test: (key: string, value: V) => boolean): void {
    for (const [key, entry] of this.entries) if (test(key, entry.value)) this.entries.delete(key);
  }
}

const roleKey = (documentId: string, userId: string) => `${documentId}\u0000${userId}`;

export class AccessCache {
  private readonly sessions: ExpiringMap<string>;
  private readonly roles: ExpiringMap<Role>;
  /** API tokens by the SHA-256 of their secret (api-tokens.ts). */
  private readonly tokens: ExpiringMap<ApiTokenGrant>;
  /** Bumped by every forget(); take it before a read, hand it back with the answer. */
  epoch = 0;

  /** `ttlMs` 0 turns the cache off (every check reads the database). */
  constructor(ttlMs: number, now: () => number = Date.now) {
    this.sessions = new ExpiringMap(ttlMs, now);
    this.roles = new ExpiringMap(ttlMs, now);
    this.tokens = new ExpiringMap(ttlMs, now);
  }

  /** The API token whose secret hashes to `hash`, if known to be unrevoked. */
  token(hash: string): ApiTokenGrant | undefined {
    return this.tokens.get(hash);
  }

  tokenIs(hash: string, grant: ApiTokenGrant, readAt: number): void {
    if (readAt === this.epoch) this.tokens.set(hash, grant);
  }

  /** The user of a live session, if known to be live. */
  sessionUser(sessionId: string): string | undefined {
    return this.sessions.get(sessionId);
  }

  sessionIsLive(sessionId: string, userId: string, readAt: number): void {
    if (readAt === this.epoch) this.sessions.set(sessionId, userId);
  }

  role(documentId: string, userId: string): Role | undefined {
    return this.roles.get(roleKey(documentId, userId));
  }

  roleIs(documentId: string, userId: string, role: Role, readAt: number): void {
    if (readAt === this.epoch) this.roles.set(roleKey(documentId, userId), role);
  }

  /** Forgets what `event` changed. */
  forget(event: AccessEvent): void {
    this.epoch++;
    switch (event.kind) {
      case 'sessions-revoked': {
        // An API token is revoked as a session is (its id in sessionIds).
        for (const id of event.sessionIds) this.sessions.delete(id);
        const ids = new Set(event.sessionIds);
        this.tokens.deleteWhere((_hash, grant) => ids.has(grant.id));
        return;
      }
      case 'member-removed':
      case 'role-changed':
        this.roles.delete(roleKey(event.documentId, event.userId));
        return;
      case 'document-deleted': {
        const prefix = `${event.documentId}\u0000`;
        this.roles.deleteWhere((key) => key.startsWith(prefix));
        return;
      }
    }
  }
}
