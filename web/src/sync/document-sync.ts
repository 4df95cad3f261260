// The sync engine of one open document: the OT state machine
// (ot-client.ts; docs/architecture.md) wired to the parts around it, each in its own file:
//   connection.ts       the streams, resumed after a loss, reconnects with backoff;
//   submission.ts       the op in flight, sent once per stream, resubmitted idempotently;
//   pending-writer.ts   the pending edits, saved for a reload before an op is sent;
//   presence-sender.ts  our selection, throttled, with a heartbeat;
//   remote-presences.ts other people's selections, placed and expired.
// This file holds the content, the edit counts and the observable state,
// and decides what each event means for them. Framework-free: no React, no
// DOM; time, chance and I/O are injected, so tests drive it deterministically.
//
// Invariants (checked by document-sync.test.ts):
// - content == serverContent ∘ inflight ∘ buffer, where serverContent is
//   the composition of the stream up to `version`;
// - write-ahead (pending-writer.ts): an op is sent only once the state that
//   contains it is durable in the PendingStore.
import { ChunkedDocument } from '../../../protocol/chunked-document.ts';
import { applyChange, Delta, isNoop, type DeltaJSON } from '../../../protocol/delta.ts';
import { DEFAULT_BACKOFF, type BackoffOptions } from './backoff.ts';
import { Connection, type ConnectionStatus } from './connection.ts';
import { OtClient } from './ot-client.ts';
import { MemoryPendingStore, type PendingStore, type PersistedState } from './pending-store.ts';
import { PendingWriter } from './pending-writer.ts';
import { PresenceSender } from './presence-sender.ts';
import { RecentOps } from './recent-ops.ts';
import { carryOver } from './reload.ts';
import type { RemotePresence } from './presence-tracker.ts';
import { RemotePresences } from './remote-presences.ts';
import { randomClientId, systemScheduler, Timer, type Scheduler } from './scheduler.ts';
import { Submission } from './submission.ts';
import { isRetryable, SyncError, toSyncError, type SyncTransport, type WireOp } from './transport.ts';

export type { ConnectionStatus } from './connection.ts';

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
  /**
   * The clientId our presence goes under, and which is never shown to us.
   * A page that reuses the id of the page it replaces (a reload of the same
   * tab) takes over that page's presence, even if the server has not yet
   * noticed the old socket is gone, so nobody sees two of us.
   * @default the op clientId (new for every page)
   */
  presenceId?: string;
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
  /** While the selection only follows our own typing (receivers move it themselves), at most one update per this many milliseconds. @default 1000 */
  presenceFollowMs?: number;
  /** Server ops kept to place what was sent at an older version (presence, threads, suggestions). @default 500 */
  recentOps?: number;
  /**
   * After an ack, hold the next op this many milliseconds at least (and
   * for twice the last round trip, up to 1 s) before sending it: fewer,
   * larger ops. (Runs of typing stay whole without it: docs/protocol.md §6.)
   * 0 sends at the ack. @default 0
   */
  sendHoldMs?: number;
}

/** The longest hold after an ack, milliseconds, however slow the round trips. */
const MAX_SEND_HOLD_MS = 1_000;

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
    const sync = new DocumentSync(options, store, start, saved !== null, storageFailed);
    sync.connection.connect();
    return sync;
  }

  readonly documentId: string;
  private readonly store: PendingStore;

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
  private inflightEdits: number;
  private bufferEdits: number;
  private error: SyncError | null = null;
  private readOnly: boolean;
  private closed = false;
  /** A reload after SNAPSHOT_REQUIRED is under way. */
  private reloading = false;
  private readonly options: DocumentSyncOptions;

  private readonly connection: Connection;
  private readonly submission: Submission;
  private readonly writer: PendingWriter;
  private readonly ownPresence: PresenceSender;
  private readonly presences: RemotePresences;
  private readonly scheduler: Scheduler;
  private readonly sendHoldMs: number;
  private readonly hold: Timer;
  /** When the op in flight became the op in flight (scheduler time), and the smoothed round trip to its ack, ms. */
  private inflightSince = 0;
  private roundTripMs = 0;

  private readonly listeners = new Set<() => void>();
  private readonly contentListeners = new Set<(change: ContentChange) => void>();
  private snapshot: SyncSnapshot | null = null;
  /** The last server ops, to place what was sent at an older version. */
  private readonly recent: RecentOps;

  private constructor(options: DocumentSyncOptions, store: PendingStore, start: PersistedState, stored: boolean, storageFailed: boolean) {
    this.options = options;
    const { documentId, transport } = options;
    const scheduler = options.scheduler ?? systemScheduler;
    const backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.documentId = documentId;
    this.store = store;
    this.readOnly = options.readOnly ?? false;
    this.scheduler = scheduler;
    this.sendHoldMs = options.sendHoldMs ?? 0;
    this.hold = new Timer(scheduler);
    const ot = (this.ot = OtClient.restore(start, { holdAfterAck: this.sendHoldMs > 0 }));
    const server = (this.server = new ChunkedDocument(new Delta(start.content.ops)));
    this.doc = this.localContent();
    this.docLength = this.doc.length();
    this.inflightEdits = start.pendingEdits.inflight;
    this.bufferEdits = start.pendingEdits.buffer;
    const recent = (this.recent = new RecentOps(options.recentOps ?? 500, ot.version));

    const changed = () => this.changed();
    const connection = (this.connection = new Connection(
      { documentId, transport, scheduler, backoff, online: options.online ?? true, version: () => ot.version },
      {
        starting: () => this.submission.newStream(),
        open: () => this.onOpen(),
        op: (op) => this.onOp(op),
        presenceOpen: () => {
          if (this.presences.clear()) this.changed();
        },
        presence: (presence) => {
          if (this.presences.receive(presence)) this.changed();
        },
        down: () => {
          this.ownPresence.stop();
          if (this.presences.markAway()) this.changed();
        },
        trouble: (error) => {
          this.error = error;
        },
        fatal: (error) => this.fail(error),
        snapshotRequired: (error) => void this.reload(error),
        changed,
      },
    ));
    this.writer = new PendingWriter(
      { documentId, store, ot, server, pendingEdits: () => ({ inflight: this.inflightEdits, buffer: this.bufferEdits }), stored, storageFailed },
      {
        writingStarted: () => {
          this.snapshot = null; // `persisting` changed; callers of persist() notify
        },
        durable: () => this.submission.send(),
        changed,
      },
    );
    this.submission = new Submission(
      { documentId, transport, scheduler, backoff, ot, link: connection, isDurable: (seq) => this.writer.isDurable(seq) },
      {
        retrying: (error) => {
          this.error = error;
          this.changed();
        },
        refused: (error) => this.onRefused(error),
      },
    );
    this.ownPresence = new PresenceSender({
      documentId,
      transport,
      scheduler,
      ot,
      presenceId: options.presenceId ?? ot.clientId,
      server,
      link: connection,
      throttleMs: options.presenceThrottleMs ?? 100,
      heartbeatMs: options.presenceHeartbeatMs ?? 10_000,
      followMs: options.presenceFollowMs ?? 1_000,
    });
    this.presences = new RemotePresences({
      scheduler,
      ot,
      presenceId: options.presenceId ?? ot.clientId,
      ttlMs: options.presenceTtlMs ?? 30_000,
      recent,
      contentLength: () => this.docLength,
      changed,
    });
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

  /** The content at `getSnapshot().version`, as the server has it. */
  get serverContent(): Delta {
    return this.server.toDelta();
  }

  /** Local edits the server has not acknowledged, as one change of `serverContent` (null: none). */
  get pendingDelta(): Delta | null {
    return this.ot.pendingDelta();
  }

  /** The same edits as the ops they go out as, in order: the op in flight, then the buffer. */
  get unacknowledged(): Delta[] {
    const { pending, buffered } = this.ot;
    return [...(pending ? [pending.delta] : []), ...(buffered ? [buffered] : [])];
  }

  /** The server version `serverContent` is at (getSnapshot().version, without building a snapshot). */
  get version(): number {
    return this.ot.version;
  }

  /** The server's ops after `version` up to `this.version`, oldest first; null once they are no longer kept. */
  committedSince(version: number): Delta[] | null {
    return version > this.ot.version ? null : this.recent.since(version);
  }

  getSnapshot = (): SyncSnapshot => {
    this.snapshot ??= {
      status: this.connection.status,
      version: this.ot.version,
      pendingEdits: this.inflightEdits + this.bufferEdits,
      readOnly: this.readOnly,
      error: this.error,
      retryAt: this.connection.retryAt,
      durable: !this.writer.storageFailed,
      persisting: this.writer.writing,
      presences: this.presences.list(),
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
    this.moveSelections(delta, false);
    const send = this.ot.applyLocal(delta);
    if (send) {
      this.inflightEdits++;
      this.inflightSince = this.scheduler.now();
    } else this.bufferEdits++;
    this.writer.persist();
    if (send) this.submission.send();
    this.changed();
    return true;
  }

  /** The local selection (null: no focus; the last one stays shown to others). */
  setSelection(range: { index: number; length: number } | null): void {
    this.ownPresence.select(range);
  }

  /** The local selection at a version the server has (what openThread takes), or null before there is one. */
  selectionAtServer(): { version: number; index: number; length: number } | null {
    return this.ownPresence.atServer();
  }

  /** The browser's online/offline events: no retries while offline, an immediate one when back. */
  setNetworkOnline(online: boolean): void {
    if (this.closed) return;
    this.connection.setNetworkOnline(online);
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
    this.connection.stop();
    this.submission.stop();
    this.presences.stop();
    this.hold.clear(); // a held buffer stays saved, and the next page sends it
    this.changed();
    await this.writer.settled();
    this.store.release(this.documentId, this.ot.clientId);
  }

  private localContent(): Delta {
    const pending = this.ot.pendingDelta();
    const server = this.server.toDelta();
    return pending ? applyChange(server, pending) : server;
  }

  private onOpen(): void {
    if (this.error && isRetryable(this.error.code)) this.error = null;
    this.changed();
    // Idempotent: if the op in flight was committed before we lost the
    // connection, the server answers with that commit, and its ack is in
    // the replayed stream.
    this.submission.send();
    // A buffer held by a page that was closed: nothing to wait for now.
    if (this.ot.held && !this.hold.pending) this.flushHeld();
    this.ownPresence.schedule();
  }

  private onOp(wire: WireOp): void {
    if (wire.version <= this.ot.version) return; // seen before this stream resumed
    if (wire.version !== this.ot.version + 1) {
      // The server promises no gaps; if one shows anyway, resume from what we have.
      return this.connection.lost(new SyncError('NETWORK', `stream skipped from ${this.ot.version} to ${wire.version}`));
    }
    const delta = new Delta(wire.delta.ops);
    const inflightSeq = this.ot.pending?.clientSeq;
    const { apply, send } = this.ot.receive({ version: wire.version, delta, clientId: wire.clientId, clientSeq: wire.clientSeq });
    this.server.apply(delta);
    this.recent.push(wire.version, delta);
    this.ownPresence.serverOp(wire.version, delta);
    if (wire.clientId === this.ot.clientId && wire.clientSeq === inflightSeq) {
      // Our ack. A buffer that remote deletions reduced to nothing is not
      // sent, and its edits are gone with the text they changed.
      const sample = this.scheduler.now() - this.inflightSince;
      this.roundTripMs = this.roundTripMs === 0 ? sample : 0.75 * this.roundTripMs + 0.25 * sample;
      if (this.ot.held) {
        // Keystrokes typed in the next moment go out with these as one op
        // (runs stay whole without this: each op names its run's end, ot-client.ts).
        this.inflightEdits = 0;
        this.hold.start(Math.min(MAX_SEND_HOLD_MS, Math.max(this.sendHoldMs, 2 * this.roundTripMs)), () => this.flushHeld());
      } else {
        this.inflightEdits = send ? this.bufferEdits : 0;
        this.bufferEdits = 0;
        if (send) this.inflightSince = this.scheduler.now();
      }
      this.submission.acknowledged();
      if (this.error && isRetryable(this.error.code)) this.error = null;
    }
    if (apply && !isNoop(apply)) {
      this.doc = null;
      this.docLength += apply.changeLength();
      this.moveSelections(apply, true);
      this.emitContent({ kind: 'remote', delta: apply });
    }
    this.presences.catchUp();
    if (this.writer.stored || this.ot.pendingCount > 0) this.writer.persist();
    if (send) this.submission.send();
    this.changed();
  }

  /** The hold after an ack is over: the buffer goes out. */
  private flushHeld(): void {
    if (this.closed) return;
    const send = this.ot.flush();
    this.inflightEdits = send ? this.bufferEdits : 0;
    this.bufferEdits = 0;
    if (send) this.inflightSince = this.scheduler.now();
    this.writer.persist();
    this.submission.send();
    this.changed();
  }

  /**
   * SNAPSHOT_REQUIRED (from the stream, or as the answer to our op in
   * flight): the server no longer keeps the ops after our version. Reload
   * the document at the head and carry the unsent local edits over onto it
   * (reload.ts) as one new edit: they are never dropped in silence.
   *
   * First learn whether the op in flight was committed before the cut (its
   * ack may be among the dropped ops): the server says so in `committed`
   * when it refuses a resubmission. Then the edit carried over is only
   * what came after it, or its text would appear twice. The head is read
   * after that answer, so it holds the op if the answer was a commit.
   * A failure on the way (the network) is a lost connection: the reconnect
   * meets SNAPSHOT_REQUIRED again and starts over.
   */
  private async reload(error: SyncError): Promise<void> {
    if (this.reloading || this.closed) return;
    this.reloading = true;
    const { transport } = this.options;
    const inflight = this.ot.pending;
    try {
      let committed = false;
      if (inflight) {
        if (error.extensions.clientSeq === inflight.clientSeq) committed = error.extensions.committed === true;
        else {
          try {
            const { baseVersion, delta, clientId, clientSeq, runEnd } = inflight;
            await transport.submitOperation({ documentId: this.documentId, baseVersion, delta: { ops: delta.ops }, clientId, clientSeq, runEnd });
            committed = true; // the server still could (or had): the head read next holds it
          } catch (thrown) {
            const answer = toSyncError(thrown);
            if (answer.code !== 'SNAPSHOT_REQUIRED') throw answer;
            committed = answer.extensions.committed === true;
          }
        }
      }
      const head = await transport.loadDocument(this.documentId);
      if (this.closed) return;
      // The old streams go now; new ones start from the head below.
      this.connection.suspend();
      this.rebuild(head.version, new Delta(head.content.ops), inflight && this.ot.pending === inflight && committed ? inflight.delta : null);
      this.connection.connect();
    } catch (thrown) {
      if (this.closed) return;
      const failure = toSyncError(thrown);
      if (failure.code !== 'NETWORK' && !isRetryable(failure.code) && failure.code !== 'SNAPSHOT_REQUIRED') {
        // The server judged the op in flight (refused it): as any refusal.
        if (inflight && this.ot.pending === inflight && failure.code !== 'NOT_FOUND') this.onRefused(failure);
        else return this.fail(failure);
      }
      this.connection.lost(new SyncError('NETWORK', failure.message));
    } finally {
      this.reloading = false;
    }
  }

  /**
   * Starts again at the server's `version` with `fresh` content. The local
   * edits (`committedInflight`, if given, is already in `fresh`: only what
   * came after it is kept) are carried over onto it and go out as a new op.
   */
  private rebuild(version: number, fresh: Delta, committedInflight: Delta | null): void {
    const oldServer = this.server.toDelta();
    const oldLocal = this.content;
    const base = committedInflight ? oldServer.compose(committedInflight) : oldServer;
    const kept = committedInflight ? this.ot.buffered : this.ot.pendingDelta();
    const carried = carryOver(base, fresh, kept);
    const edits = committedInflight ? this.bufferEdits : this.inflightEdits + this.bufferEdits;
    this.server.apply(oldServer.diff(fresh));
    this.hold.clear();
    this.submission.discarded();
    const send = this.ot.reload(version, carried);
    this.inflightEdits = send ? Math.max(edits, 1) : 0;
    this.bufferEdits = 0;
    if (send) this.inflightSince = this.scheduler.now();
    // Presence was placed by versions of the old line of ops: start afresh.
    this.recent.restart(version);
    this.presences.clear();
    this.ownPresence.forget();
    this.doc = null;
    const local = this.content;
    this.docLength = local.length();
    this.moveSelections(oldLocal.diff(local), true);
    this.emitContent({ kind: 'reset', content: local });
    this.writer.persist();
    this.changed();
  }

  /** The server refused the op in flight (or the document is gone). */
  private onRefused(error: SyncError): void {
    if (error.code === 'SNAPSHOT_REQUIRED') return void this.reload(error);
    if (error.code === 'NOT_FOUND') return this.fail(error);
    // The server judged the op: it changed nothing there, so undo it here.
    if (error.code === 'FORBIDDEN') this.readOnly = true;
    const pending = this.ot.pendingDelta();
    this.ot.discardPending();
    this.hold.clear();
    this.inflightEdits = this.bufferEdits = 0;
    this.submission.discarded();
    if (pending) {
      const server = this.server.toDelta();
      const undo = pending.invert(server);
      this.doc = server;
      this.docLength = this.server.length;
      this.moveSelections(undo, false);
      this.emitContent({ kind: 'reset', content: server });
    }
    this.error = error;
    this.writer.persist();
    this.changed();
  }

  /** Fatal: the document is gone, or may no longer be read, or our version is ahead of the server's. */
  private fail(error: SyncError): void {
    this.connection.stop();
    this.error = error;
    this.closed = true;
    this.submission.stop();
    this.presences.stop();
    // These edits can never be committed; do not bring them back on reload.
    // The page still shows them, so `content` keeps them.
    this.doc ??= this.localContent();
    this.ot.discardPending();
    this.hold.clear();
    this.inflightEdits = this.bufferEdits = 0;
    this.presences.clear();
    this.writer.persist();
    this.changed();
    void this.writer.settled().then(() => this.store.release(this.documentId, this.ot.clientId));
  }

  /** `change` (a remote one, or ours) was applied to the local content (now `docLength` long). */
  private moveSelections(change: Delta, remote: boolean): void {
    this.presences.transform(change);
    this.ownPresence.move(change, remote);
  }

  private emitContent(change: ContentChange): void {
    for (const listener of [...this.contentListeners]) listener(change);
  }

  private changed(): void {
    this.snapshot = null;
    for (const listener of [...this.listeners]) listener();
  }
}
