// The client side of DESIGN §3, as a pure state machine (no I/O, no timers):
// synchronised -> awaiting (one op in flight) -> awaiting with buffer.
// Acks come from the stream: the client recognises its own op there by
// (clientId, clientSeq), so an ack can never overtake an earlier remote op.
import quill from 'quill-delta';

// quill-delta is CommonJS; `.default` is the class both under NodeNext
// typings and at run time.
const Delta = quill.default;
type Delta = InstanceType<typeof quill.default>;

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

export class OtClient {
  /** The last server version this client has seen. */
  version: number;
  private inflight: OutgoingOp | null = null;
  private buffer: Delta | null = null;
  private nextSeq: number;

  constructor(readonly clientId: string, version: number, firstSeq = 0) {
    this.version = version;
    this.nextSeq = firstSeq;
  }

  get state(): ClientState {
    if (!this.inflight) return 'synchronised';
    return this.buffer ? 'awaiting-with-buffer' : 'awaiting';
  }

  /** The op in flight (to resubmit unchanged after a reconnect), if any. */
  get pending(): OutgoingOp | null {
    return this.inflight;
  }

  /** Ops not yet acknowledged (in flight + buffered). */
  get pendingCount(): number {
    return (this.inflight ? 1 : 0) + (this.buffer ? 1 : 0);
  }

  /**
   * A local edit, already applied to the local document. Returns the op to
   * send now, or null when it was composed into the buffer.
   */
  applyLocal(delta: Delta): OutgoingOp | null {
    if (this.inflight) {
      this.buffer = this.buffer ? this.buffer.compose(delta) : delta;
      return null;
    }
    this.inflight = { baseVersion: this.version, delta, clientId: this.clientId, clientSeq: this.nextSeq++ };
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
      // Remote ops may have reduced the buffer to nothing (its text was
      // deleted); an op never sent need not be sent at all.
      if (!this.buffer || isNoop(this.buffer)) {
        this.buffer = null;
        return { apply: null, send: null };
      }
      const send: OutgoingOp = { baseVersion: this.version, delta: this.buffer, clientId: this.clientId, clientSeq: this.nextSeq++ };
      this.inflight = send;
      this.buffer = null;
      return { apply: null, send };
    }
    // Remote op. The server put it before our pending ops and rebases them
    // over it with the committed op winning ties; mirror that exactly.
    let remote = op.delta;
    if (inflight) {
      const rebased = remote.transform(inflight.delta, true);
      remote = inflight.delta.transform(remote, false);
      // Resubmitting after a reconnect sends this: rebased to our version.
      this.inflight = { ...inflight, baseVersion: this.version, delta: rebased };
    }
    if (this.buffer) {
      const rebased = remote.transform(this.buffer, true);
      remote = this.buffer.transform(remote, false);
      this.buffer = rebased;
    }
    return { apply: remote, send: null };
  }
}

/**
 * True when the delta changes nothing. Such an op, once in flight, is still
 * sent (the server commits it as an empty version, and its ack is needed).
 */
const isNoop = (delta: Delta) => delta.ops.every((op) => typeof op.retain === 'number' && !op.attributes);

export { Delta };
