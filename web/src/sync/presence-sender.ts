// Our own selection, sent to the others: at most one update per throttle
// interval, and again every heartbeat even when unchanged, so that the
// server's TTL does not expire it while we sit still. Sending is best
// effort: a lost update is replaced by the next one.
//
// While typing, the caret only moves as our own ops move it, and every
// receiver moves the selection it was sent through those ops the same way
// (an insert at a caret goes before it, presence-tracker.ts). Such a move
// tells nobody anything new: it is sent at most once per `followMs`
// (for whoever joined since), not once per keystroke, which halves the
// messages a typist costs the server and everyone watching.
import type { ChunkedDocument } from '../../../protocol/chunked-document.ts';
import type { Delta } from '../../../protocol/delta.ts';
import type { OtClient } from './ot-client.ts';
import { moveSelection } from './presence-tracker.ts';
import { Timer, type Scheduler } from './scheduler.ts';
import type { SyncTransport } from './transport.ts';

export interface PresenceSenderOptions {
  documentId: string;
  transport: SyncTransport;
  scheduler: Scheduler;
  ot: OtClient;
  /** The clientId our presence goes under. */
  presenceId: string;
  /** The content at ot.version, as the server has it. */
  server: ChunkedDocument;
  /** The stream presence goes with (a Connection); nothing is sent while it is not live. */
  link: { readonly live: boolean };
  /** Milliseconds between updates, at least. */
  throttleMs: number;
  /** Milliseconds after which an unchanged selection is sent again. */
  heartbeatMs: number;
  /** Milliseconds between updates, at least, while the selection only moves as the others move it themselves. */
  followMs: number;
}

type Range = { index: number; length: number };

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

export class PresenceSender {
  private selection: Range | null = null;
  private lastSentAt = -Infinity;
  /**
   * The last selection sent, at server positions, moved through every server
   * op since as receivers move it (null: none sent on this stream, or its
   * place is not known).
   */
  private told: { version: number; start: number; end: number } | null = null;
  /** The throttle timer waits out `followMs` (a move anyone can work out), not `throttleMs`. */
  private refreshing = false;
  private readonly throttle: Timer;
  private readonly heartbeat: Timer;

  private readonly options: PresenceSenderOptions;
  constructor(options: PresenceSenderOptions) {
    this.options = options;
    this.throttle = new Timer(options.scheduler);
    this.heartbeat = new Timer(options.scheduler);
  }

  /** The local selection (null: no focus; the last one stays shown to others). */
  select(range: Range | null): void {
    if (range) this.selection = { index: range.index, length: range.length };
    this.schedule();
  }

  /**
   * `change` was applied to the local content (the editor reports its own
   * selection too; this keeps heartbeats right meanwhile). An insert of
   * someone else's exactly at a caret goes after it, as editors place it.
   */
  move(change: Delta, remote: boolean): void {
    const range = this.selection;
    if (!range) return;
    const index = change.transformPosition(range.index, remote && range.length === 0);
    this.selection = { index, length: Math.max(0, change.transformPosition(range.index + range.length, remote && range.length === 0) - index) };
  }

  /**
   * Server op `version` was applied to the server content (every one, in
   * order, ours included): moves what the others were told as they move it.
   */
  serverOp(version: number, delta: Delta): void {
    const told = this.told;
    if (!told) return;
    if (version !== told.version + 1) {
      this.told = null;
      return;
    }
    const [start, end] = moveSelection(delta, told.start, told.end, this.options.server.length);
    this.told = { version, start, end };
  }

  /** Sends the selection as soon as the throttle allows. */
  schedule(): void {
    // Not live also covers closed: a closed engine never goes live again.
    if (!this.options.link.live) return;
    if (this.throttle.pending) {
      if (!this.refreshing) return;
      // A move of our own may be news: the usual throttle, not the long wait.
      this.throttle.clear();
      this.refreshing = false;
    }
    const wait = Math.max(0, this.lastSentAt + this.options.throttleMs - this.options.scheduler.now());
    this.throttle.start(wait, () => this.send());
  }

  /** The stream is gone: nothing goes out until schedule() after the next open (where the server may have dropped what we told it). */
  stop(): void {
    this.throttle.clear();
    this.refreshing = false;
    this.heartbeat.clear();
    this.told = null;
  }

  /** The server content was replaced (not moved by ops): what the others were told can no longer be followed. */
  forget(): void {
    this.told = null;
  }

  /**
   * The selection as the server can place it: at ot.version, mapped back
   * through the pending edits (text the server has not seen has no
   * position there) and clamped to the server's content. Null before the
   * editor reported one.
   */
  atServer(): { version: number; index: number; length: number } | null {
    if (!this.selection) return null;
    const { ot, server } = this.options;
    let start = this.selection.index;
    let end = this.selection.index + this.selection.length;
    const pending = ot.pendingDelta();
    if (pending) {
      const undo = pending.invert(server.toDelta());
      start = undo.transformPosition(start);
      end = undo.transformPosition(end);
    }
    const length = server.length;
    start = clamp(start, 0, length);
    end = clamp(end, start, length);
    return { version: ot.version, index: start, length: end - start };
  }

  private send(): void {
    this.refreshing = false;
    if (!this.options.link.live) return;
    const { ot, scheduler } = this.options;
    const { version, index, length } = this.atServer() ?? { version: ot.version, index: 0, length: 0 };
    const told = this.told;
    if (told && told.version === version && told.start === index && told.end === index + length) {
      const refreshAt = this.lastSentAt + this.options.followMs;
      if (scheduler.now() < refreshAt) {
        this.refreshing = true;
        this.throttle.start(refreshAt - scheduler.now(), () => this.send());
        return;
      }
    }
    this.told = { version, start: index, end: index + length };
    this.lastSentAt = scheduler.now();
    this.options.transport
      .updatePresence({ documentId: this.options.documentId, clientId: this.options.presenceId, version, index, length })
      .catch(() => {}); // presence is best effort; the heartbeat sends it again
    this.heartbeat.start(this.options.heartbeatMs, () => this.send());
  }
}
