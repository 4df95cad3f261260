// The sync engine of one open document: the OT state machine of DESIGN §3
// wired to a transport, with reconnects (exponential backoff with jitter,
// resume from the last seen version, idempotent resubmission of the op in
// flight), presence, pending edits that survive a reload, and observable
// state. Framework-free: no React, no DOM; time, chance and I/O are
// injected, so tests drive it deterministically.
//
// Invariants (checked by document-sync.test.ts):
// - content == serverContent ∘ inflight ∘ buffer, where serverContent is
//   the composition of the stream up to `version`;
// - write-ahead: an op is sent only once the state that contains it (same
//   clientSeq, same delta) is durable in the PendingStore. A reload may
//   lose the last keystrokes, but can never bring back an op that differs
//   from one the server may already hold under that (clientId, clientSeq),
//   which would make the server's ack mean something else than ours.
import { backoffDelay, DEFAULT_BACKOFF, type BackoffOptions } from './backoff.js';
import { ChunkedDocument } from './chunked-document.js';
import { applyChange, Delta, isNoop, type DeltaJSON } from './delta.js';
import { OtClient } from './ot-client.js';
import { MemoryPendingStore, type PendingStore, type PersistedState } from './pending-store.js';
import { PresenceTracker, type PlacePositions, type RemotePresence } from './presence-tracker.js';
import { RecentOps } from './recent-ops.js';
import { randomClientId, systemScheduler, type Scheduler, type TimerHandle } from './scheduler.js';
import { isRetryable, SyncError, toSyncError, type SyncTransport, type Unsubscribe, type WireOp, type WirePresence } from './transport.js';

/**
 * connecting: first connection; online: the stream is live; reconnecting:
 * lost, retrying with backoff; offline: the network is down, waiting for it;
 * closed: closed by the app, or a fatal error (see `error`).
 */
export type ConnectionStatus = 'connecting' | 'online' | 'reconnecting' | 'offline' | 'closed';

export interface SyncSnapshot {
  status: ConnectionStatus;
  /** The last server version seen. */
  version: number;
  /** Local edits the server has not acknowledged yet. */
  pendingEdits: number;
  readOnly: boolean;
  /** The last error worth showing; retryable ones clear once things work again. */
  error: SyncError | null;
  /** When the next reconnect attempt is due (scheduler time), while reconnecting. */
  retryAt: number | null;
  /** False when pending edits cannot be saved for a reload (storage refused). */
  durable: boolean;
  /** A write to the PendingStore is under way (pending edits are safe from a reload once it is false). */
  persisting: boolean;
  /** Other people's selections in local coordinates. */
  presences: readonly RemotePresence[];
}

/** How the local content changed without a local edit: apply `delta`, or replace everything with `content`. */
export type ContentChange = { kind: 'remote'; delta: Delta } | { kind: 'reset'; content: Delta };

export interface DocumentSyncOptions {
  documentId: string;
  transport: SyncTransport;
  /** Where pending edits wait out a reload. @default new MemoryPendingStore() (no persistence) */
  store?: PendingStore;
  /** Start here unless the store has a saved state (else the transport loads the document). */
  initial?: { version: number; content: DeltaJSON };
  /** @default systemScheduler */
  scheduler?: Scheduler;
  /** @default randomClientId */
  newClientId?: () => string;
  /** Viewers: local edits are refused. @default false */
  readOnly?: boolean;
  /** Whether the network is up at start (browsers: navigator.onLine). @default true */
  online?: boolean;
  /** @default DEFAULT_BACKOFF (500 ms doubling to 30 s) */
  backoff?: BackoffOptions;
  /** A presence not refreshed for this long disappears, milliseconds; the server's default. @default 30000 */
  presenceTtlMs?: number;
  /** Own presence is re-sent this often even when unchanged, milliseconds. @default 10000 */
  presenceHeartbeatMs?: number;
  /** At most one presence update per this many milliseconds. @default 100 */
  presenceThrottleMs?: number;
  /** Server ops kept to place late presence. @default 500 */
  recentOps?: number;
}

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

/** A selection after `change` (the editor reports its own too; this keeps heartbeats right meanwhile). */
function moveRange(range: { index: number; length: number } | null, change: Delta): { index: number; length: number } | null {
  if (!range) return null;
  const index = change.transformPosition(range.index);
  return { index, length: Math.max(0, change.transformPosition(range.index + range.length) - index) };
}

export class DocumentSync {
  /**
   * Opens a document: takes over edits a closed page left pending (they
   * are rebased as the stream catches up and resubmitted under their
   * original ids), or starts from `initial` / the server's head.
   */
  static async open(options: DocumentSyncOptions): Promise<DocumentSync> {
    let store = options.store ?? new MemoryPendingStore();
    const freshId = (options.newClientId ?? randomClientId)();
    let saved: PersistedState | null;
    let storageFailed = false;
    try {
      saved = await store.claim(options.documentId, freshId);
    } catch {
      // Storage unusable (private browsing, quota, a broken database): edit
      // without it; `durable: false` tells the user a reload would lose edits.
      store = new MemoryPendingStore();
      saved = await store.claim(options.documentId, freshId);
      storageFailed = true;
    }
    let start: PersistedState;
    if (saved) {
      start = saved;
    } else {
      try {
        const initial = options.initial ?? (await options.transport.loadDocument(options.documentId));
        start = {
          documentId: options.documentId,
          clientId: freshId,
          version: initial.version,
          content: initial.content,
          inflight: null,
          buffer: null,
          nextSeq: 0,
          pendingEdits: { inflight: 0, buffer: 0 },
        };
      } catch (error) {
        store.release(options.documentId, freshId);
        throw toSyncError(error);
      }
    }
    const sync = new DocumentSync(options, store, start, saved !== null);
    sync.storageFailed = storageFailed;
    sync.connect();
    return sync;
  }

  readonly documentId: string;
  private readonly transport: SyncTransport;
  private readonly store: PendingStore;
  private readonly scheduler: Scheduler;
  private readonly backoff: BackoffOptions;
  private readonly presenceTtlMs: number;
  private readonly heartbeatMs: number;
  private readonly throttleMs: number;

  private readonly ot: OtClient;
  /**
   * Local content (serverContent ∘ pending), built when asked for: keeping
   * it up to date on every keystroke would copy the whole text each time
   * (composing into one long insert flattens and slices its string), which
   * nothing needs between reads. Null until asked for again.
   */
  private doc: Delta | null;
  /** Length of the local content, kept up to date (presence needs it on every change). */
  private docLength: number;
  /** Content at ot.version, as the server has it (chunked: a busy stream applies dozens of ops a second to it). */
  private readonly server: ChunkedDocument;
  private readonly recent: RecentOps;
  private readonly presence = new PresenceTracker();
  private inflightEdits: number;
  private bufferEdits: number;

  private status: ConnectionStatus = 'connecting';
  private error: SyncError | null = null;
  private readOnly: boolean;
  private networkOnline: boolean;
  private closed = false;
  private everOnline = false;

  /** Bumped on every (dis)connect; callbacks of older streams are ignored. */
  private streamId = 0;
  private live = false;
  private stopStreams: Unsubscribe | null = null;
  private attempt = 0;
  private retryTimer: TimerHandle | null = null;
  private retryAt: number | null = null;
  /** clientSeq already submitted on the current stream (resubmitted after a reconnect). */
  private sentSeq: number | null = null;
  private submitAttempt = 0;
  private submitRetryTimer: TimerHandle | null = null;

  private selection: { index: number; length: number } | null = null;
  private lastPresenceAt = -Infinity;
  private presenceTimer: TimerHandle | null = null;
  private heartbeatTimer: TimerHandle | null = null;
  private expiryTimer: TimerHandle | null = null;

  private dirty = false;
  private writing = false;
  /** clientSeq of the op in flight in the last state written (rebasing keeps the seq: equivalent ops). */
  private durableSeq: number | null;
  private saving: Promise<void> = Promise.resolve();
  /** A saved state exists in the store (so it must be cleared once nothing is pending). */
  private stored: boolean;
  private storageFailed = false;
  private savedContent: { version: number; json: DeltaJSON } | null = null;

  private readonly listeners = new Set<() => void>();
  private readonly contentListeners = new Set<(change: ContentChange) => void>();
  private snapshot: SyncSnapshot | null = null;

  private constructor(options: DocumentSyncOptions, store: PendingStore, start: PersistedState, stored: boolean) {
    this.documentId = options.documentId;
    this.transport = options.transport;
    this.store = store;
    this.scheduler = options.scheduler ?? systemScheduler;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.presenceTtlMs = options.presenceTtlMs ?? 30_000;
    this.heartbeatMs = options.presenceHeartbeatMs ?? 10_000;
    this.throttleMs = options.presenceThrottleMs ?? 100;
    this.readOnly = options.readOnly ?? false;
    this.networkOnline = options.online ?? true;
    this.ot = OtClient.restore(start);
    this.server = new ChunkedDocument(new Delta(start.content.ops));
    this.doc = this.localContent();
    this.docLength = this.doc.length();
    this.inflightEdits = start.pendingEdits.inflight;
    this.bufferEdits = start.pendingEdits.buffer;
    this.recent = new RecentOps(options.recentOps ?? 500, start.version);
    this.stored = stored;
    this.durableSeq = start.inflight?.clientSeq ?? null;
  }

  get clientId(): string {
    return this.ot.clientId;
  }

  /** The local content (the server's plus pending local edits). */
  get content(): Delta {
    this.doc ??= this.localContent();
    return this.doc;
  }

  /** Length of `content`, without building it. */
  get contentLength(): number {
    return this.docLength;
  }

  private localContent(): Delta {
    const pending = this.ot.pendingDelta();
    const server = this.server.toDelta();
    return pending ? applyChange(server, pending) : server;
  }

  /** The content at `getSnapshot().version`, as the server has it. */
  get serverContent(): Delta {
    return this.server.toDelta();
  }

  getSnapshot = (): SyncSnapshot => {
    this.snapshot ??= {
      status: this.status,
      version: this.ot.version,
      pendingEdits: this.inflightEdits + this.bufferEdits,
      readOnly: this.readOnly,
      error: this.error,
      retryAt: this.retryAt,
      durable: !this.storageFailed,
      persisting: this.writing,
      presences: this.presence.list(),
    };
    return this.snapshot;
  };

  /** Calls `listener` after every change of getSnapshot() (React: useSyncExternalStore). */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Remote changes and resets of the content, for the editor. */
  onContent(listener: (change: ContentChange) => void): () => void {
    this.contentListeners.add(listener);
    return () => this.contentListeners.delete(listener);
  }

  /**
   * A local edit, already applied by the editor. Returns false if it was
   * refused (read-only or closed): the editor should then show `content`.
   * `delta` is kept (it may be sent and saved as it is): do not change it afterwards.
   */
  applyLocal(delta: Delta): boolean {
    if (this.closed || this.readOnly) return false;
    if (isNoop(delta)) return true;
    this.doc = null;
    this.docLength += delta.changeLength();
    this.presence.transform(delta, this.docLength);
    this.selection = moveRange(this.selection, delta);
    const send = this.ot.applyLocal(delta);
    if (send) this.inflightEdits++;
    else this.bufferEdits++;
    this.persist();
    if (send) this.flushPending();
    this.changed();
    return true;
  }

  /** The local selection (null: no focus; the last one stays shown to others). */
  setSelection(range: { index: number; length: number } | null): void {
    if (range) this.selection = { index: range.index, length: range.length };
    this.schedulePresence();
  }

  /** The browser's online/offline events: no retries while offline, an immediate one when back. */
  setNetworkOnline(online: boolean): void {
    if (online === this.networkOnline || this.closed) return;
    this.networkOnline = online;
    if (!online) {
      this.disconnect();
      this.clearTimer('retryTimer');
      this.retryAt = null;
      this.setStatus('offline');
    } else {
      this.attempt = 0;
      this.clearTimer('retryTimer');
      this.retryAt = null;
      this.connect();
    }
  }

  setReadOnly(readOnly: boolean): void {
    if (readOnly === this.readOnly) return;
    this.readOnly = readOnly;
    this.changed();
  }

  /** Stops everything; pending edits stay saved for the next page. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.disconnect();
    for (const timer of ['retryTimer', 'submitRetryTimer', 'presenceTimer', 'heartbeatTimer', 'expiryTimer'] as const) this.clearTimer(timer);
    this.status = 'closed';
    this.changed();
    await this.saving;
    this.store.release(this.documentId, this.ot.clientId);
  }

  // --- connection --------------------------------------------------------

  private connect(): void {
    if (this.closed || !this.networkOnline || this.stopStreams) return;
    const id = ++this.streamId;
    this.live = false;
    this.sentSeq = null;
    this.setStatus(this.everOnline ? 'reconnecting' : 'connecting');
    const current = () => id === this.streamId && !this.closed;
    const lost = (error: SyncError) => current() && this.onConnectionLost(error);
    const ended = () => lost(new SyncError('NETWORK', 'The server ended the stream'));
    // Resume from the last version seen: the stream replays what we missed.
    const stopOps = this.transport.subscribeOperations(this.documentId, this.ot.version, {
      open: () => current() && this.onOpen(),
      next: (op) => current() && this.onOp(op),
      error: (error) => lost(toSyncError(error)),
      complete: ended,
    });
    if (!current()) return void stopOps();
    const stopPresence = this.transport.subscribePresence(this.documentId, {
      open: () => {},
      next: (p) => current() && this.onPresence(p),
      error: (error) => lost(toSyncError(error)),
      complete: ended,
    });
    if (!current()) {
      stopOps();
      stopPresence();
      return;
    }
    this.stopStreams = () => {
      stopOps();
      stopPresence();
    };
  }

  private disconnect(): void {
    this.streamId++;
    this.live = false;
    const stop = this.stopStreams;
    this.stopStreams = null;
    stop?.();
    this.clearTimer('presenceTimer');
    this.clearTimer('heartbeatTimer');
  }

  private onOpen(): void {
    if (this.live) return;
    this.live = true;
    this.everOnline = true;
    this.attempt = 0;
    this.retryAt = null;
    if (this.error && isRetryable(this.error.code)) this.error = null;
    this.status = 'online';
    this.changed();
    // Idempotent: if the op in flight was committed before we lost the
    // connection, the server answers with that commit, and its ack is in
    // the replayed stream.
    this.flushPending();
    this.schedulePresence();
  }

  private onConnectionLost(error: SyncError): void {
    this.disconnect();
    if (!isRetryable(error.code)) return this.fail(error);
    // A live connection that drops (e.g. its token expired) is resumed
    // quietly; a reconnect that fails again is worth showing.
    if (error.code !== 'NETWORK' && this.attempt > 0) this.error = error;
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed) return;
    if (!this.networkOnline) return this.setStatus('offline');
    const delay = backoffDelay(this.attempt++, this.scheduler.random, this.backoff);
    this.retryAt = this.scheduler.now() + delay;
    this.clearTimer('retryTimer');
    this.retryTimer = this.scheduler.setTimeout(() => {
      this.retryTimer = null;
      this.retryAt = null;
      this.connect();
    }, delay);
    this.status = 'reconnecting';
    this.changed(); // retryAt changed even if the status did not
  }

  /** Fatal: the document is gone, or may no longer be read, or our version is ahead of the server's. */
  private fail(error: SyncError): void {
    this.disconnect();
    this.error = error;
    this.status = 'closed';
    this.closed = true;
    for (const timer of ['retryTimer', 'submitRetryTimer', 'expiryTimer'] as const) this.clearTimer(timer);
    this.retryAt = null;
    // These edits can never be committed; do not bring them back on reload.
    // The page still shows them, so `content` keeps them.
    this.doc ??= this.localContent();
    this.ot.discardPending();
    this.inflightEdits = this.bufferEdits = 0;
    this.presence.clear();
    this.persist();
    this.changed();
    void this.saving.then(() => this.store.release(this.documentId, this.ot.clientId));
  }

  // --- operations ----------------------------------------------------------

  private onOp(wire: WireOp): void {
    if (wire.version <= this.ot.version) return; // seen before this stream resumed
    if (wire.version !== this.ot.version + 1) {
      // The server promises no gaps; if one shows anyway, resume from what we have.
      return this.onConnectionLost(new SyncError('NETWORK', `stream skipped from ${this.ot.version} to ${wire.version}`));
    }
    const delta = new Delta(wire.delta.ops);
    const inflightSeq = this.ot.pending?.clientSeq;
    const { apply, send } = this.ot.receive({ version: wire.version, delta, clientId: wire.clientId, clientSeq: wire.clientSeq });
    this.server.apply(delta);
    this.recent.push(wire.version, delta);
    if (wire.clientId === this.ot.clientId && wire.clientSeq === inflightSeq) {
      // Our ack. A buffer that remote deletions reduced to nothing is not
      // sent, and its edits are gone with the text they changed.
      this.inflightEdits = send ? this.bufferEdits : 0;
      this.bufferEdits = 0;
      this.sentSeq = null;
      this.submitAttempt = 0;
      this.clearTimer('submitRetryTimer');
      if (this.error && isRetryable(this.error.code)) this.error = null;
    }
    if (apply && !isNoop(apply)) {
      this.doc = null;
      this.docLength += apply.changeLength();
      this.presence.transform(apply, this.docLength);
      this.selection = moveRange(this.selection, apply);
      this.emitContent({ kind: 'remote', delta: apply });
    }
    this.presence.catchUp(this.place);
    if (this.stored || this.ot.pending) this.persist();
    if (send) this.flushPending();
    this.changed();
  }

  /** Sends the op in flight, now if the state holding it is durable, else when its write completes. */
  private flushPending(): void {
    this.transmit();
  }

  private transmit(): void {
    const op = this.ot.pending;
    if (!op || !this.live || this.closed || this.sentSeq === op.clientSeq || this.submitRetryTimer !== null) return;
    if (this.durableSeq !== op.clientSeq) return; // write-ahead: the write loop calls again
    this.sentSeq = op.clientSeq;
    const streamId = this.streamId;
    this.transport
      .submitOperation({ documentId: this.documentId, baseVersion: op.baseVersion, delta: { ops: op.delta.ops }, clientId: op.clientId, clientSeq: op.clientSeq })
      .catch((error: unknown) => this.onSubmitFailed(toSyncError(error), op.clientSeq, streamId));
  }

  private onSubmitFailed(error: SyncError, clientSeq: number, streamId: number): void {
    // A late answer about an op that is acknowledged or discarded by now.
    if (this.closed || this.ot.pending?.clientSeq !== clientSeq) return;
    if (error.code === 'NETWORK') {
      // Treat as a lost connection: the reconnect resubmits (idempotently).
      if (streamId === this.streamId) this.onConnectionLost(error);
      return;
    }
    if (isRetryable(error.code)) {
      // Busy server or a token being renewed: the same op again, later.
      this.error = error;
      this.sentSeq = null;
      const delay = backoffDelay(this.submitAttempt++, this.scheduler.random, this.backoff);
      this.clearTimer('submitRetryTimer');
      this.submitRetryTimer = this.scheduler.setTimeout(() => {
        this.submitRetryTimer = null;
        this.transmit();
      }, delay);
      this.changed();
      return;
    }
    if (error.code === 'NOT_FOUND') return this.fail(error);
    // The server judged the op: it changed nothing there, so undo it here.
    if (error.code === 'FORBIDDEN') this.readOnly = true;
    this.rejectPending(error);
  }

  private rejectPending(error: SyncError): void {
    const pending = this.ot.pendingDelta();
    this.ot.discardPending();
    this.inflightEdits = this.bufferEdits = 0;
    this.sentSeq = null;
    if (pending) {
      const server = this.server.toDelta();
      const undo = pending.invert(server);
      this.doc = server;
      this.docLength = this.server.length;
      this.presence.transform(undo, this.docLength);
      this.selection = moveRange(this.selection, undo);
      this.emitContent({ kind: 'reset', content: server });
    }
    this.error = error;
    this.persist();
    this.changed();
  }

  // --- presence --------------------------------------------------------------

  /** Positions at `version` (server coordinates) -> local coordinates. */
  private readonly place: PlacePositions = (version, [start, end]) => {
    if (version > this.ot.version) return 'ahead';
    const since = this.recent.since(version);
    if (!since) return 'unknown';
    let a = start;
    let b = end;
    for (const delta of since) {
      a = delta.transformPosition(a);
      b = delta.transformPosition(b);
    }
    const pending = this.ot.pendingDelta();
    if (pending) {
      a = pending.transformPosition(a);
      b = pending.transformPosition(b);
    }
    const length = this.docLength;
    a = clamp(a, 0, length);
    return [a, clamp(b, a, length)];
  };

  private onPresence(wire: WirePresence): void {
    if (wire.clientId === this.ot.clientId) return;
    const changed = this.presence.receive(wire, this.scheduler.now() + this.presenceTtlMs, this.place);
    this.scheduleExpiry();
    if (changed) this.changed();
  }

  private scheduleExpiry(): void {
    this.clearTimer('expiryTimer');
    const { changed, next } = this.presence.expire(this.scheduler.now());
    if (next !== null) {
      this.expiryTimer = this.scheduler.setTimeout(() => {
        this.expiryTimer = null;
        this.scheduleExpiry();
      }, next - this.scheduler.now());
    }
    if (changed) this.changed();
  }

  private schedulePresence(): void {
    if (this.presenceTimer !== null || !this.live || this.closed) return;
    const wait = Math.max(0, this.lastPresenceAt + this.throttleMs - this.scheduler.now());
    this.presenceTimer = this.scheduler.setTimeout(() => {
      this.presenceTimer = null;
      this.sendPresence();
    }, wait);
  }

  private sendPresence(): void {
    if (!this.live || this.closed) return;
    const selection = this.selection ?? { index: 0, length: 0 };
    // The server wants a selection at a version it has: map ours back
    // through the pending edits (text it has not seen has no position there).
    let start = selection.index;
    let end = selection.index + selection.length;
    const pending = this.ot.pendingDelta();
    if (pending) {
      const undo = pending.invert(this.server.toDelta());
      start = undo.transformPosition(start);
      end = undo.transformPosition(end);
    }
    const length = this.server.length;
    start = clamp(start, 0, length);
    end = clamp(end, start, length);
    this.lastPresenceAt = this.scheduler.now();
    this.transport
      .updatePresence({ documentId: this.documentId, clientId: this.ot.clientId, version: this.ot.version, index: start, length: end - start })
      .catch(() => {}); // presence is best effort; the heartbeat sends it again
    this.clearTimer('heartbeatTimer');
    this.heartbeatTimer = this.scheduler.setTimeout(() => {
      this.heartbeatTimer = null;
      this.sendPresence();
    }, this.heartbeatMs);
  }

  // --- persistence -----------------------------------------------------------

  private persistedState(): PersistedState | null {
    if (!this.ot.pending) return null;
    // Spelled out: an object spread here took ~3 µs, on every keystroke.
    const { clientId, version, inflight, buffer, nextSeq } = this.ot.snapshot();
    return {
      documentId: this.documentId,
      clientId,
      version,
      inflight,
      buffer,
      nextSeq,
      content: this.serverContentJSON(),
      pendingEdits: { inflight: this.inflightEdits, buffer: this.bufferEdits },
    };
  }

  /** The same object for as long as the server content is the same (PersistedState.content says why). */
  private serverContentJSON(): DeltaJSON {
    // Built only when a store reads it: a writer following a busy stream saves after every batch.
    if (this.savedContent?.version !== this.ot.version) this.savedContent = { version: this.ot.version, json: this.server.frozenJSON() };
    return this.savedContent.json;
  }

  /** Saves the current state (coalesced: one write at a time, the newest state next). */
  private persist(): void {
    this.dirty = true;
    if (!this.writing) this.saving = this.writeLoop();
  }

  private async writeLoop(): Promise<void> {
    this.writing = true;
    this.snapshot = null; // `persisting` changed; callers of persist() notify
    // Always asynchronous, so that `saving` is assigned before the loop can end.
    await null;
    while (this.dirty) {
      this.dirty = false;
      const state = this.persistedState();
      try {
        if (state) {
          await this.store.save(state);
          this.stored = true;
        } else if (this.stored) {
          await this.store.clear(this.documentId, this.ot.clientId);
          this.stored = false;
        }
      } catch {
        // Storage refused (quota, private mode): edits still sync, they
        // just would not survive a reload. Say so rather than stop.
        if (!this.storageFailed) {
          this.storageFailed = true;
          this.changed();
        }
      }
      const seq = state?.inflight?.clientSeq ?? null;
      if (seq !== this.durableSeq) {
        this.durableSeq = seq;
        this.transmit();
      }
    }
    this.writing = false;
    this.changed();
  }

  // --- plumbing ----------------------------------------------------------------

  private setStatus(status: ConnectionStatus): void {
    if (this.status === status) return;
    this.status = status;
    this.changed();
  }

  private clearTimer(name: 'retryTimer' | 'submitRetryTimer' | 'presenceTimer' | 'heartbeatTimer' | 'expiryTimer'): void {
    const handle = this[name];
    if (handle !== null) this.scheduler.clearTimeout(handle);
    this[name] = null;
  }

  private emitContent(change: ContentChange): void {
    for (const listener of [...this.contentListeners]) listener(change);
  }

  private changed(): void {
    this.snapshot = null;
    for (const listener of [...this.listeners]) listener();
  }
}
