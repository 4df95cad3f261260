// The live link of one open document: its op and presence streams, resumed
// from the last version seen after every loss, with reconnects spread out
// by exponential backoff with jitter (backoff.ts) and none while the
// network is down. It knows nothing of OT or edits: what arrives, and every
// change of state, goes to its events; DocumentSync decides what they mean.
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import { Timer, type Scheduler } from './scheduler.ts';
import { isRetryable, SyncError, toSyncError, type SyncTransport, type Unsubscribe, type WireOp, type WirePresence } from './transport.ts';

/**
 * connecting: first connection; online: the stream is live; reconnecting:
 * lost, retrying with backoff; offline: the network is down, waiting for it;
 * closed: closed by the app, or a fatal error (see `error`).
 */
export type ConnectionStatus = 'connecting' | 'online' | 'reconnecting' | 'offline' | 'closed';

export interface ConnectionOptions {
  documentId: string;
  transport: SyncTransport;
  scheduler: Scheduler;
  backoff: BackoffOptions;
  /** Whether the network is up at start. */
  online: boolean;
  /** The version to resume the op stream after (the last one seen). */
  version(): number;
}

export interface ConnectionEvents {
  /** A new stream is being opened: nothing has been submitted on it yet. */
  starting(): void;
  /** The op stream is live (status is 'online'). */
  open(): void;
  op(op: WireOp): void;
  /** The presence stream is established: the current presences follow. */
  presenceOpen(): void;
  presence(presence: WirePresence): void;
  /** The streams are gone (lost, offline or stopped): nothing can be sent until `open`. */
  down(): void;
  /** A reconnect failed again for a reason worth showing; it is retried anyway. */
  trouble(error: SyncError): void;
  /** A loss that retrying cannot mend (the document is gone, or may no longer be read). */
  fatal(error: SyncError): void;
  /**
   * The server no longer keeps the ops after our version (SNAPSHOT_REQUIRED):
   * the link is not live until suspend() and connect() are called (after
   * the document is reloaded).
   */
  snapshotRequired(error: SyncError): void;
  /** `status` or `retryAt` changed. */
  changed(): void;
}

export class Connection {
  private state: ConnectionStatus = 'connecting';
  private due: number | null = null;
  private isLive = false;
  /** Bumped on every (dis)connect; callbacks of older streams are ignored. */
  private id = 0;
  private stopStreams: Unsubscribe | null = null;
  private attempt = 0;
  private everOnline = false;
  private networkOnline: boolean;
  private stopped = false;
  private readonly retry: Timer;

  private readonly options: ConnectionOptions;
  private readonly events: ConnectionEvents;
  constructor(options: ConnectionOptions, events: ConnectionEvents) {
    this.options = options;
    this.events = events;
    this.networkOnline = options.online;
    this.retry = new Timer(options.scheduler);
  }

  get status(): ConnectionStatus {
    return this.state;
  }

  /** When the next reconnect attempt is due (scheduler time), while reconnecting. */
  get retryAt(): number | null {
    return this.due;
  }

  /** The op stream is established: submissions and presence can go out. */
  get live(): boolean {
    return this.isLive;
  }

  /** Identifies the current stream (an answer sent on an older one is stale). */
  get streamId(): number {
    return this.id;
  }

  connect(): void {
    if (this.stopped || this.stopStreams) return;
    // Opened while offline (e.g. a page reloaded without network): say so, and wait for the network.
    if (!this.networkOnline) return this.setStatus('offline');
    const id = ++this.id;
    this.isLive = false;
    this.events.starting();
    this.setStatus(this.everOnline ? 'reconnecting' : 'connecting');
    const current = () => id === this.id && !this.stopped;
    const lost = (error: SyncError) => current() && this.lost(error);
    const ended = () => lost(new SyncError('NETWORK', 'The server ended the stream'));
    const { transport, documentId } = this.options;
    // Resume from the last version seen: the stream replays what we missed.
    const stopOps = transport.subscribeOperations(documentId, this.options.version(), {
      open: () => current() && this.onOpen(),
      next: (op) => current() && this.events.op(op),
      error: (error) => lost(toSyncError(error)),
      complete: ended,
    });
    if (!current()) return void stopOps();
    const stopPresence = transport.subscribePresence(documentId, {
      open: () => current() && this.events.presenceOpen(),
      next: (p) => current() && this.events.presence(p),
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

  /** The stream broke (or showed a gap): reconnect with backoff, or report it fatal. */
  lost(error: SyncError): void {
    if (error.code === 'SNAPSHOT_REQUIRED') {
      // The op stream is over, but the rest (presence) stays up while the
      // document is reloaded: it keeps the socket open for the requests the
      // reload makes (a lazy graphql-ws socket closes with its last stream).
      // Nothing is submitted meanwhile: the link is not live.
      this.isLive = false;
      return this.events.snapshotRequired(error);
    }
    this.disconnect();
    if (!isRetryable(error.code)) return this.events.fatal(error);
    // A live connection that drops (e.g. its token expired) is resumed
    // quietly; a reconnect that fails again is worth showing.
    if (error.code !== 'NETWORK' && this.attempt > 0) this.events.trouble(error);
    this.scheduleReconnect();
  }

  /** The browser's online/offline events: no retries while offline, an immediate one when back. */
  setNetworkOnline(online: boolean): void {
    if (online === this.networkOnline || this.stopped) return;
    this.networkOnline = online;
    if (!online) {
      this.disconnect();
      this.retry.clear();
      this.due = null;
      this.setStatus('offline');
    } else {
      this.attempt = 0;
      this.retry.clear();
      this.due = null;
      this.connect();
    }
  }

  /** Drops the streams without a reconnect (the document is being reloaded); connect() resumes. */
  suspend(): void {
    this.disconnect();
    this.retry.clear();
    this.due = null;
  }

  /** For good: status 'closed', no streams, no retries. Does not notify (the caller does). */
  stop(): void {
    this.disconnect();
    this.stopped = true;
    this.retry.clear();
    this.due = null;
    this.state = 'closed';
  }

  private onOpen(): void {
    if (this.isLive) return;
    this.isLive = true;
    this.everOnline = true;
    this.attempt = 0;
    this.due = null;
    this.state = 'online';
    this.events.open();
  }

  private disconnect(): void {
    this.id++;
    this.isLive = false;
    const stop = this.stopStreams;
    this.stopStreams = null;
    stop?.();
    this.events.down();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    if (!this.networkOnline) return this.setStatus('offline');
    const { scheduler, backoff } = this.options;
    const delay = backoffDelay(this.attempt++, scheduler.random, backoff);
    this.due = scheduler.now() + delay;
    this.retry.start(delay, () => {
      this.due = null;
      this.connect();
    });
    this.state = 'reconnecting';
    this.events.changed(); // retryAt changed even if the status did not
  }

  private setStatus(status: ConnectionStatus): void {
    if (this.state === status) return;
    this.state = status;
    this.events.changed();
  }
}
