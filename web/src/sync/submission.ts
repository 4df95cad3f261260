// Sending the op in flight, once per stream, and again until the server has
// judged it. Resubmission is safe because the server is idempotent on
// (clientId, clientSeq): if an op was committed before the connection was
// lost, resending it brings back that commit, whose ack is in the replayed
// stream. An op goes out only once the state holding it is durable
// (write-ahead; see pending-writer.ts).
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import type { OtClient } from './ot-client.ts';
import { Timer, type Scheduler } from './scheduler.ts';
import { isRetryable, toSyncError, type SyncError, type SyncTransport } from './transport.ts';

export interface SubmissionOptions {
  documentId: string;
  transport: SyncTransport;
  scheduler: Scheduler;
  backoff: BackoffOptions;
  ot: OtClient;
  /** The stream submissions go with (a Connection). */
  link: { readonly live: boolean; readonly streamId: number; lost(error: SyncError): void };
  /** Write-ahead: the state holding op `clientSeq` is in the PendingStore. */
  isDurable(clientSeq: number): boolean;
}

export interface SubmissionEvents {
  /** A retryable answer (busy server, a token being renewed): the same op goes again after a backoff delay. */
  retrying(error: SyncError): void;
  /** The server judged the op and refused it, or the document is gone. */
  refused(error: SyncError): void;
}

export class Submission {
  /** clientSeq already submitted on the current stream (resubmitted after a reconnect). */
  private sentSeq: number | null = null;
  private attempt = 0;
  private readonly retry: Timer;
  private stopped = false;

  private readonly options: SubmissionOptions;
  private readonly events: SubmissionEvents;
  constructor(options: SubmissionOptions, events: SubmissionEvents) {
    this.options = options;
    this.events = events;
    this.retry = new Timer(options.scheduler);
  }

  /** Sends the op in flight if it is durable, the stream live, and it has not gone out on this stream yet. */
  send(): void {
    const op = this.options.ot.pending;
    const { link } = this.options;
    if (!op || !link.live || this.stopped || this.sentSeq === op.clientSeq || this.retry.pending) return;
    if (!this.options.isDurable(op.clientSeq)) return; // write-ahead: the write loop calls again
    this.sentSeq = op.clientSeq;
    const streamId = link.streamId;
    this.options.transport
      .submitOperation({
        documentId: this.options.documentId,
        baseVersion: op.baseVersion,
        delta: { ops: op.delta.ops },
        clientId: op.clientId,
        clientSeq: op.clientSeq,
        runEnd: op.runEnd,
      })
      .catch((error: unknown) => this.onFailed(toSyncError(error), op.clientSeq, streamId));
  }

  /** A new stream: what was sent on the old one goes again. */
  newStream(): void {
    this.sentSeq = null;
  }

  /** Our op came back in the stream. */
  acknowledged(): void {
    this.sentSeq = null;
    this.attempt = 0;
    this.retry.clear();
  }

  /** The op in flight was dropped (refused): the next one is a different op. */
  discarded(): void {
    this.sentSeq = null;
  }

  stop(): void {
    this.stopped = true;
    this.retry.clear();
  }

  private onFailed(error: SyncError, clientSeq: number, streamId: number): void {
    // A late answer about an op that is acknowledged or discarded by now.
    if (this.stopped || this.options.ot.pending?.clientSeq !== clientSeq) return;
    if (error.code === 'NETWORK') {
      // Treat as a lost connection: the reconnect resubmits (idempotently).
      if (streamId === this.options.link.streamId) this.options.link.lost(error);
      return;
    }
    if (isRetryable(error.code)) {
      this.sentSeq = null;
      const delay = backoffDelay(this.attempt++, this.options.scheduler.random, this.options.backoff);
      this.retry.start(delay, () => this.send());
      this.events.retrying(error);
      return;
    }
    this.events.refused(error);
  }
}
