// The client side of the protocol (docs/protocol.md §5), as a pure state machine (no I/O, no timers):
// synchronised -> awaiting (one op in flight) -> awaiting with buffer.
// Acks come from the stream: the client recognises its own op there by
// (clientId, clientSeq), so an ack can never overtake an earlier remote op.
import { Delta, isNoop, type DeltaJSON } from '../../../protocol/delta.ts';
import { transformCommittedOverPending, transformOverCommitted } from '../../../protocol/rebase.ts';
import { PendingBuffer } from './pending-buffer.ts';

export interface OutgoingOp {
  baseVersion: number;
  delta: Delta;
  clientId: string;
  clientSeq: number;
}

export interface StreamOp {
  version: number;
  delta: Delta;
  clientId: string;
  clientSeq: number;
}

export type ClientState = 'synchronised' | 'awaiting' | 'awaiting-with-buffer';

/** Everything needed to resume this client elsewhere (after a page reload). */
export interface OtClientSnapshot {
  clientId: string;
  version: number;
  inflight: { baseVersion: number; delta: DeltaJSON; clientSeq: number } | null;
  buffer: DeltaJSON | null;
  nextSeq: number;
}

export class OtClient {
  /** The last server version this client has seen. */
  version: number;
  private inflight: OutgoingOp | null = null;
  /** Edits made while an op is in flight, composed (cheaply per keystroke: pending-buffer.ts). */
  private buffer: PendingBuffer | null = null;
  private nextSeq: number;

  readonly clientId: string;
  constructor(clientId: string, version: number, firstSeq = 0) {
    this.clientId = clientId;
    this.version = version;
    this.nextSeq = firstSeq;
  }

  /** A client exactly as `snapshot()` left it: same ids, same pending ops. */
  static restore(snapshot: OtClientSnapshot): OtClient {
    const client = new OtClient(snapshot.clientId, snapshot.version, snapshot.nextSeq);
    if (snapshot.inflight) {
      client.inflight = {
        baseVersion: snapshot.inflight.baseVersion,
        delta: new Delta(snapshot.inflight.delta.ops),
        clientId: snapshot.clientId,
        clientSeq: snapshot.inflight.clientSeq,
      };
      if (snapshot.buffer) client.buffer = new PendingBuffer(new Delta(snapshot.buffer.ops));
    }
    return client;
  }

  snapshot(): OtClientSnapshot {
    const inflight = this.inflight;
    return {
      clientId: this.clientId,
      version: this.version,
      inflight: inflight ? { baseVersion: inflight.baseVersion, delta: { ops: inflight.delta.ops }, clientSeq: inflight.clientSeq } : null,
      buffer: this.buffer ? { ops: this.buffer.toDelta().ops } : null,
      nextSeq: this.nextSeq,
    };
  }

  get state(): ClientState {
    if (!this.inflight) return 'synchronised';
    return this.buffer ? 'awaiting-with-buffer' : 'awaiting';
  }

  /** The op in flight (to resubmit unchanged after a reconnect), if any. */
  get pending(): OutgoingOp | null {
    return this.inflight;
  }

  /** Local changes not yet sent (composed while an op was in flight). */
  get buffered(): Delta | null {
    return this.buffer?.toDelta() ?? null;
  }

  /** Ops not yet acknowledged (in flight + buffered). */
  get pendingCount(): number {
    return (this.inflight ? 1 : 0) + (this.buffer ? 1 : 0);
  }

  /**
   * Everything local the server has not acknowledged, as one delta that
   * applies to the content at `version` (null when synchronised).
   */
  pendingDelta(): Delta | null {
    if (!this.inflight) return null;
    return this.buffer ? this.inflight.delta.compose(this.buffer.toDelta()) : this.inflight.delta;
  }

  /**
   * A local edit, already applied to the local document. Returns the op to
   * send now, or null when it was composed into the buffer.
   */
  applyLocal(delta: Delta): OutgoingOp | null {
    if (this.inflight) {
      if (this.buffer) this.buffer.compose(delta);
      else this.buffer = new PendingBuffer(delta);
      return null;
    }
    this.inflight = { baseVersion: this.version, delta, clientId: this.clientId, clientSeq: this.nextSeq++ };
    return this.inflight;
  }

  /**
   * Forgets the pending ops (the server rejected the one in flight: a
   * rejected op changes nothing, and the buffer was built on top of it).
   * The caller resets its document to the content at `version`.
   */
  discardPending(): void {
    this.inflight = null;
    this.buffer = null;
  }

  /**
   * The next op of the stream (version must be this.version + 1).
   * Returns the change to apply to the local document (null for our own
   * ack) and the next op to send, if the ack released the buffer.
   */
  receive(op: StreamOp): { apply: Delta | null; send: OutgoingOp | null } {
    if (op.version !== this.version + 1) {
      throw new Error(`stream skipped from ${this.version} to ${op.version}`);
    }
    this.version = op.version;
    const inflight = this.inflight;
    if (inflight && op.clientId === this.clientId && op.clientSeq === inflight.clientSeq) {
      this.inflight = null;
      // Remote ops may have reduced the buffer to nothing (its text was
      // deleted); an op never sent need not be sent at all. (An op already
      // in flight is still sent even if it became a no-op: its ack is needed.)
      const buffered = this.buffer?.toDelta();
      if (!buffered || isNoop(buffered)) {
        this.buffer = null;
        return { apply: null, send: null };
      }
      const send: OutgoingOp = { baseVersion: this.version, delta: buffered, clientId: this.clientId, clientSeq: this.nextSeq++ };
      this.inflight = send;
      this.buffer = null;
      return { apply: null, send };
    }
    // Remote op. The server put it before our pending ops and rebases them
    // over it with the committed op winning ties; mirror that exactly.
    let remote = op.delta;
    if (inflight) {
      const rebased = transformOverCommitted(remote, inflight.delta);
      remote = transformCommittedOverPending(inflight.delta, remote);
      // Resubmitting after a reconnect sends this: rebased to our version.
      this.inflight = { ...inflight, baseVersion: this.version, delta: rebased };
    }
    if (this.buffer) {
      const buffered = this.buffer.toDelta();
      const rebased = transformOverCommitted(remote, buffered);
      remote = transformCommittedOverPending(buffered, remote);
      this.buffer = new PendingBuffer(rebased);
    }
    return { apply: remote, send: null };
  }
}

export { Delta };
