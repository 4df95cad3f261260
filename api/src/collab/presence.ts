// Who is where in a document: ephemeral, never in the log. A selection is
// sent with the version it refers to; receivers transform it to theirs.
// The registry validates, coalesces and publishes; a PresenceStore keeps
// the current set (in memory on one node, in Redis across nodes) so that
// Document.presence is the same on every node.
//
// An entry belongs to (user, clientId): a clientId is only a name its user
// chose, so another user sending the same one gets an entry of their own
// instead of overwriting someone else's. An entry ends with one event that
// has `left: true`: when the socket that set it closes, or when the sweep
// finds it not refreshed within the TTL.
import { badInput } from '../errors.ts';

export interface PresenceState {
  documentId: string;
  clientId: string;
  userId: string | null;
  /** The document version that index/length refer to. */
  version: number;
  index: number;
  length: number;
  updatedAt: Date;
  /** Set on the last event of an entry: it is gone (its socket closed, or it expired). */
  left?: boolean;
  /** The connection that set it (internal): only that connection's close removes it. */
  owner?: string;
}

/** An entry's name within its document: whose it is and which of their clients. */
export const presenceKey = (state: Pick<PresenceState, 'userId' | 'clientId'>) => JSON.stringify([state.userId, state.clientId]);

export interface PresenceStore {
  /** Keeps `state` until `expiresAt` (ms since epoch) unless replaced. */
  put(state: PresenceState, expiresAt: number): Promise<void>;
  /** The unexpired presences of a document at time `now`. */
  list(documentId: string, now: number): Promise<PresenceState[]>;
  /**
   * Removes the entry `key` if it is there and, when `owner` is given, was
   * last set by that owner; returns what was removed. Atomic: of several
   * nodes removing one entry, one gets it (and announces the leave).
   */
  remove(documentId: string, key: string, owner?: string): Promise<PresenceState | null>;
  /** Removes and returns the entries of a document that expired by `now` (atomic, as `remove`). */
  sweep(documentId: string, now: number): Promise<PresenceState[]>;
  forget(documentId: string): Promise<void>;
}

export class MemoryPresenceStore implements PresenceStore {
  private readonly byDocument = new Map<string, Map<string, { state: PresenceState; expiresAt: number }>>();

  async put(state: PresenceState, expiresAt: number): Promise<void> {
    let doc = this.byDocument.get(state.documentId);
    if (!doc) this.byDocument.set(state.documentId, (doc = new Map()));
    doc.set(presenceKey(state), { state, expiresAt });
  }

  async list(documentId: string, now: number): Promise<PresenceState[]> {
    const doc = this.byDocument.get(documentId);
    if (!doc) return [];
    return [...doc.values()].filter((e) => e.expiresAt > now).map((e) => e.state);
  }

  async remove(documentId: string, key: string, owner?: string): Promise<PresenceState | null> {
    const doc = this.byDocument.get(documentId);
    const entry = doc?.get(key);
    if (!doc || !entry || (owner !== undefined && entry.state.owner !== owner)) return null;
    doc.delete(key);
    if (doc.size === 0) this.byDocument.delete(documentId);
    return entry.state;
  }

  async sweep(documentId: string, now: number): Promise<PresenceState[]> {
    const doc = this.byDocument.get(documentId);
    if (!doc) return [];
    const gone: PresenceState[] = [];
    for (const [key, entry] of doc) {
      if (entry.expiresAt > now) continue;
      doc.delete(key);
      gone.push(entry.state);
    }
    if (doc.size === 0) this.byDocument.delete(documentId);
    return gone;
  }

  async forget(documentId: string): Promise<void> {
    this.byDocument.delete(documentId);
  }
}

/** What a presence set over a socket is bound to: it ends when the socket closes. */
export interface PresenceOwner {
  /** Unique across nodes. */
  readonly id: string;
  /** Whether it has closed already (its close listeners will not run again). */
  readonly closed: boolean;
  onClose(listener: () => void): void;
}

export interface PresenceOptions {
  /** A presence not refreshed for this long is gone (milliseconds). */
  ttlMs: number;
  store: PresenceStore;
  publish: (state: PresenceState) => Promise<void>;
  /**
   * Presence is a latest-value stream: per entry, at most one update is
   * stored and published per this many milliseconds; updates in between
   * replace each other and the latest goes out at the end of the interval.
   * @default 50
   */
  minIntervalMs?: number;
  /** How often expired entries are removed and announced. @default min(1000, ttlMs / 4) */
  sweepIntervalMs?: number;
  /** A background step (deferred publish, leave, sweep) failed. */
  onError?: (error: unknown, context: string) => void;
  now?: () => number;
}

interface Throttle {
  lastAt: number;
  pending: PresenceState | null;
  timer: NodeJS.Timeout | null;
}

export class PresenceRegistry {
  private readonly now: () => number;
  private readonly minIntervalMs: number;
  private readonly onError: (error: unknown, context: string) => void;
  /** Per entry (`documentId` + key): when it was last written, and the update waiting for the interval to pass. */
  private readonly throttles = new Map<string, Throttle>();
  /** Entries each live connection set, to remove when it closes. */
  private readonly owned = new Map<string, Map<string, { documentId: string; key: string }>>();
  /** Documents this node swept for: those it wrote to (until their entries can have expired) and those with local watchers. */
  private readonly written = new Map<string, number>();
  private readonly watchers = new Map<string, number>();
  private readonly background = new Set<Promise<unknown>>();
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweeping: Promise<void> | null = null;

  private readonly options: PresenceOptions;
  constructor(options: PresenceOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.minIntervalMs = options.minIntervalMs ?? 50;
    this.onError = options.onError ?? (() => {});
  }

  /**
   * Records and publishes a presence (coalesced: see `minIntervalMs`);
   * `headVersion` bounds its version. With an `owner` (a socket), the entry
   * is removed, with a leave event, when the owner closes; without one it
   * lives until the TTL.
   */
  async update(input: Omit<PresenceState, 'updatedAt' | 'left' | 'owner'>, headVersion: number, owner?: PresenceOwner): Promise<PresenceState> {
    for (const field of ['version', 'index', 'length'] as const) {
      if (!Number.isSafeInteger(input[field]) || input[field] < 0) throw badInput(`${field} must be a non-negative integer`);
    }
    if (input.version > headVersion) throw badInput(`version ${input.version} is ahead of the head version ${headVersion}`);
    if (input.clientId.length === 0 || input.clientId.length > 128) throw badInput('clientId must be 1 to 128 characters');
    const { documentId, clientId, userId, version, index, length } = input;
    const state: PresenceState = { documentId, clientId, userId, version, index, length, updatedAt: new Date(this.now()) };
    // Sent over a socket that has closed since: nothing would remove it.
    if (owner?.closed) return state;
    if (owner) state.owner = owner.id;
    const key = presenceKey(state);
    this.track(documentId, key, owner);

    const id = `${documentId}\n${key}`;
    const throttle = this.throttles.get(id);
    if (throttle) {
      // Within the interval: replace whatever waits; the timer sends it.
      throttle.pending = state;
      return state;
    }
    this.throttles.set(id, this.armThrottle(id));
    await this.write(state);
    return state;
  }

  /** Live presences of a document. */
  list(documentId: string): Promise<PresenceState[]> {
    return this.options.store.list(documentId, this.now());
  }

  /** A local stream watches `documentId`: expired entries there are announced even if this node set none of them. */
  watch(documentId: string): () => void {
    this.watchers.set(documentId, (this.watchers.get(documentId) ?? 0) + 1);
    this.startSweeping();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.watchers.get(documentId) ?? 1) - 1;
      if (left > 0) this.watchers.set(documentId, left);
      else this.watchers.delete(documentId);
    };
  }

  async forget(documentId: string): Promise<void> {
    for (const [id, throttle] of this.throttles) {
      if (!id.startsWith(`${documentId}\n`)) continue;
      throttle.pending = null;
    }
    this.written.delete(documentId);
    await this.options.store.forget(documentId);
  }

  /** Removes and announces the entries of every swept document that expired. */
  sweep(): Promise<void> {
    this.sweeping ??= this.sweepOnce().finally(() => (this.sweeping = null));
    return this.sweeping;
  }

  /** Stops the timers; waits for leaves and deferred publishes under way. */
  async dispose(): Promise<void> {
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    for (const throttle of this.throttles.values()) if (throttle.timer) clearTimeout(throttle.timer);
    this.throttles.clear();
    await Promise.allSettled([...this.background, this.sweeping]);
  }

  private async write(state: PresenceState): Promise<void> {
    this.written.set(state.documentId, this.now());
    this.startSweeping();
    await this.options.store.put(state, this.now() + this.options.ttlMs);
    await this.options.publish(state);
  }

  /** Sends the latest update that waited, then keeps the interval going while updates keep coming. */
  private armThrottle(id: string): Throttle {
    const throttle: Throttle = { lastAt: this.now(), pending: null, timer: null };
    const tick = () => {
      const state = throttle.pending;
      if (!state) {
        this.throttles.delete(id);
        return;
      }
      throttle.pending = null;
      throttle.lastAt = this.now();
      throttle.timer = setTimeout(tick, this.minIntervalMs);
      throttle.timer.unref();
      this.inBackground(this.write(state), 'presence update');
    };
    throttle.timer = setTimeout(tick, this.minIntervalMs);
    throttle.timer.unref();
    return throttle;
  }

  private track(documentId: string, key: string, owner: PresenceOwner | undefined): void {
    if (!owner) return;
    let entries = this.owned.get(owner.id);
    if (!entries) {
      this.owned.set(owner.id, (entries = new Map()));
      owner.onClose(() => this.closed(owner.id));
    }
    entries.set(`${documentId}\n${key}`, { documentId, key });
  }

  /** A connection closed: its entries go, each with a leave event (unless another connection set it since). */
  private closed(ownerId: string): void {
    const entries = this.owned.get(ownerId);
    this.owned.delete(ownerId);
    for (const [id, { documentId, key }] of entries ?? []) {
      const throttle = this.throttles.get(id);
      if (throttle?.pending?.owner === ownerId) throttle.pending = null;
      this.inBackground(this.leave(documentId, key, ownerId), 'presence leave');
    }
  }

  private async leave(documentId: string, key: string, ownerId?: string): Promise<void> {
    const gone = await this.options.store.remove(documentId, key, ownerId);
    if (gone) await this.announce(gone);
  }

  private announce(gone: PresenceState): Promise<void> {
    const { owner: _owner, ...state } = gone;
    return this.options.publish({ ...state, updatedAt: new Date(this.now()), left: true });
  }

  private async sweepOnce(): Promise<void> {
    const now = this.now();
    const documents = new Set([...this.watchers.keys(), ...this.written.keys()]);
    for (const documentId of documents) {
      try {
        for (const gone of await this.options.store.sweep(documentId, now)) await this.announce(gone);
      } catch (error) {
        this.onError(error, 'presence sweep');
      }
      // Whatever this node wrote there has expired by now: others' entries are swept by their nodes or by watchers.
      const at = this.written.get(documentId);
      if (at !== undefined && at + this.options.ttlMs < now) this.written.delete(documentId);
    }
    if (this.watchers.size === 0 && this.written.size === 0 && this.sweepTimer) {
      clearInterval(this.sweepTimer);
      this.sweepTimer = null;
    }
  }

  private startSweeping(): void {
    if (this.sweepTimer) return;
    const every = this.options.sweepIntervalMs ?? Math.min(1_000, this.options.ttlMs / 4);
    this.sweepTimer = setInterval(() => void this.sweep(), every);
    this.sweepTimer.unref();
  }

  private inBackground(work: Promise<unknown>, context: string): void {
    const tracked = work.catch((error) => this.onError(error, context)).finally(() => this.background.delete(tracked));
    this.background.add(tracked);
  }
}
