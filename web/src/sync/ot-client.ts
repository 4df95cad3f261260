// The client side of the protocol (docs/protocol.md §5), as a pure state machine (no I/O, no timers):
// synchronised -> awaiting (one op in flight) -> awaiting with buffer.
// Acks come from the stream: the client recognises its own op there by
// (clientId, clientSeq), so an ack can never overtake an earlier remote op.
//
// The op in flight is rebased exactly as the server will rebase it (the
// committed op wins ties, except at the op's `runEnd`: protocol/rebase.ts).
// Each op goes out with the end of the text this client's previous op
// inserted, moved over every op received since, so that an insert which
// landed there by losing a tie to our previous op cannot split our run
// (docs/protocol.md §6, "typing at the same spot"). The buffer is not sent
// yet, so the client may place it, and puts its own text first at a tie.
// Optionally (`holdAfterAck`) the next op is not sent at the ack but held
// until flush().
import { Delta, isNoop, transform, type DeltaJSON } from '../../../protocol/delta.ts';
import { moveRunEnd, runEndAfter, transformCommittedOverPending, transformOverCommitted } from '../../../protocol/rebase.ts';
import { PendingBuffer } from './pending-buffer.ts';

export interface OutgoingOp {
  baseVersion: number;
  delta: Delta;
  clientId: string;
  clientSeq: number;
  /** Where our previous op's text ends, at baseVersion (null: unknown). */
  runEnd: number | null;
}

export interface StreamOp {
  version: number;
  delta: Delta;
  clientId: string;
  clientSeq: number;
}

/** holding: no op in flight, local edits buffered until flush() (see `holdAfterAck`). */
export type ClientState = 'synchronised' | 'awaiting' | 'awaiting-with-buffer' | 'holding';

export interface OtClientOptions {
  /**
   * At an ack, keep the buffer (and later local edits) until flush()
   * instead of sending it at once. @default false
   */
  holdAfterAck?: boolean;
}

/** Everything needed to resume this client elsewhere (after a page reload). */
export interface OtClientSnapshot {
  clientId: string;
  version: number;
  inflight: { baseVersion: number; delta: DeltaJSON; clientSeq: number; runEnd?: number | null } | null;
  buffer: DeltaJSON | null;
  nextSeq: number;
  /** Where our last committed op's text ends, at `version`, with nothing in flight (an op in flight carries its own). */
  runEnd?: number | null;
}

export class OtClient {
  /** The last server version this client has seen. */
  version: number;
  private inflight: OutgoingOp | null = null;
  /** Edits not yet sent, composed (cheaply per keystroke: pending-buffer.ts). */
  private buffer: PendingBuffer | null = null;
  private nextSeq: number;
  /** Local edits go to the buffer until flush(), even with nothing in flight. */
  private holding = false;
  /**
   * Where the text of our last committed op ends, at `version` (null: none
   * yet, or unknown). Kept only while nothing is in flight: an op in flight
   * carries its own, moved over remote ops, and its ack sets this again.
   */
  private runEnd: number | null = null;

  readonly clientId: string;
  private readonly holdAfterAck: boolean;
  constructor(clientId: string, version: number, firstSeq = 0, options: OtClientOptions = {}) {
    this.clientId = clientId;
    this.version = version;
    this.nextSeq = firstSeq;
    this.holdAfterAck = options.holdAfterAck ?? false;
  }

  /**
   * A client exactly as `snapshot()` left it: same ids, same pending ops.
   * A buffer saved without an op in flight (held) waits for flush().
   */
  static restore(snapshot: OtClientSnapshot, options: OtClientOptions = {}): OtClient {
    const client = new OtClient(snapshot.clientId, snapshot.version, snapshot.nextSeq, options);
    if (snapshot.inflight) {
      client.inflight = {
        baseVersion: snapshot.inflight.baseVersion,
        delta: new Delta(snapshot.inflight.delta.ops),
        clientId: snapshot.clientId,
        clientSeq: snapshot.inflight.clientSeq,
        runEnd: snapshot.inflight.runEnd ?? null,
      };
    }
    if (!snapshot.inflight) client.runEnd = snapshot.runEnd ?? null;
    if (snapshot.buffer) {
      client.buffer = new PendingBuffer(new Delta(snapshot.buffer.ops));
      client.holding = !snapshot.inflight;
    }
    return client;
  }

  snapshot(): OtClientSnapshot {
    const inflight = this.inflight;
    return {
      clientId: this.clientId,
      version: this.version,
      inflight: inflight
        ? { baseVersion: inflight.baseVersion, delta: { ops: inflight.delta.ops }, clientSeq: inflight.clientSeq, runEnd: inflight.runEnd }
        : null,
      buffer: this.buffer ? { ops: this.buffer.toDelta().ops } : null,
      nextSeq: this.nextSeq,
      runEnd: inflight ? null : this.runEnd,
    };
  }

  get state(): ClientState {
    if (!this.inflight) return this.buffer ? 'holding' : 'synchronised';
    return this.buffer ? 'awaiting-with-buffer' : 'awaiting';
  }

  /** Local edits wait in the buffer for flush() (after an ack, with `holdAfterAck`). */
  get held(): boolean {
    return this.holding;
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
    const buffered = this.buffer?.toDelta() ?? null;
    if (!this.inflight) return buffered;
    return buffered ? this.inflight.delta.compose(buffered) : this.inflight.delta;
  }

  /**
   * A local edit, already applied to the local document. Returns the op to
   * send now, or null when it was composed into the buffer.
   */
  applyLocal(delta: Delta): OutgoingOp | null {
    if (this.inflight || this.holding) {
      if (this.buffer) this.buffer.compose(delta);
      else this.buffer = new PendingBuffer(delta);
      return null;
    }
    this.inflight = this.outgoing(delta);
    return this.inflight;
  }

  /**
   * Ends a hold: the buffer becomes the op in flight (returned, to send),
   * unless an op is in flight already or the buffer is empty.
   */
  flush(): OutgoingOp | null {
    this.holding = false;
    if (this.inflight) return null;
    return this.promoteBuffer();
  }

  /**
   * Forgets the pending ops (the server rejected the one in flight: a
   * rejected op changes nothing, and the buffer was built on top of it).
   * The caller resets its document to the content at `version`.
   */
  discardPending(): void {
    this.inflight = null;
    this.buffer = null;
    this.holding = false;
  }

  /**
   * Starts again at `version` (the document was reloaded from the server:
   * SNAPSHOT_REQUIRED). `pending`, the local edits to keep, already moved
   * onto that version's content, becomes the op in flight under a new
   * clientSeq (seqs only grow: the server's idempotency relies on it).
   * Returns it, to send, or null when nothing is left to send.
   */
  reload(version: number, pending: Delta | null): OutgoingOp | null {
    this.version = version;
    this.inflight = null;
    this.buffer = null;
    this.holding = false;
    this.runEnd = null; // positions from before the reload mean nothing now
    if (!pending || isNoop(pending)) return null;
    this.inflight = this.outgoing(pending);
    return this.inflight;
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
      this.runEnd = runEndAfter(op.delta, inflight.runEnd);
      if (this.holdAfterAck) {
        this.holding = true;
        return { apply: null, send: null };
      }
      return { apply: null, send: this.promoteBuffer() };
    }
    // Remote op. The server put it before our op in flight and rebases that
    // over it with the committed op winning ties (but at our runEnd); mirror that exactly.
    let remote = op.delta;
    if (!inflight) this.runEnd = moveRunEnd(remote, this.runEnd);
    else {
      const rebased = transformOverCommitted(remote, inflight.delta, inflight.runEnd);
      remote = transformCommittedOverPending(inflight.delta, remote, inflight.runEnd);
      // Resubmitting after a reconnect sends this: rebased to our version.
      this.inflight = { ...inflight, baseVersion: this.version, delta: rebased, runEnd: moveRunEnd(op.delta, inflight.runEnd) };
    }
    if (this.buffer) {
      // Never sent, so ours to place: our own text first at a tie (the
      // buffer's inserts keep priority on both sides of the pair).
      const buffered = this.buffer.toDelta();
      const rebased = transform(remote, buffered, false);
      remote = transform(buffered, remote, true);
      this.buffer = new PendingBuffer(rebased);
    }
    return { apply: remote, send: null };
  }

  private promoteBuffer(): OutgoingOp | null {
    // Remote ops may have reduced the buffer to nothing (its text was
    // deleted); an op never sent need not be sent at all. (An op already
    // in flight is still sent even if it became a no-op: its ack is needed.)
    const buffer = this.buffer?.toDelta() ?? null;
    this.buffer = null;
    if (!buffer || isNoop(buffer)) return null;
    this.inflight = this.outgoing(buffer);
    return this.inflight;
  }

  private outgoing(delta: Delta): OutgoingOp {
    return { baseVersion: this.version, delta, clientId: this.clientId, clientSeq: this.nextSeq++, runEnd: this.runEnd };
  }
}

export { Delta };
