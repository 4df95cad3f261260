// Other people's selections as the engine shows them: each arrives at its
// sender's version and is placed in local coordinates through the server
// ops since then (the last few are kept for that) and our pending edits;
// one not refreshed within the TTL disappears on a timer. The placing and
// moving rules themselves are PresenceTracker's.
import type { Delta } from '../../../protocol/delta.ts';
import type { OtClient } from './ot-client.ts';
import { PresenceTracker, type PlacePositions, type RemotePresence } from './presence-tracker.ts';
import type { RecentOps } from './recent-ops.ts';
import { Timer, type Scheduler } from './scheduler.ts';
import type { WirePresence } from './transport.ts';

export interface RemotePresencesOptions {
  scheduler: Scheduler;
  ot: OtClient;
  /** The id our own presence goes under: never shown (a reload keeps it, see DocumentSyncOptions.presenceId). */
  presenceId: string;
  /** A presence not refreshed for this long disappears, milliseconds. */
  ttlMs: number;
  /** The last server ops (the engine records them), to place late presence. */
  recent: RecentOps;
  /** Length of the local content now. */
  contentLength(): number;
  /** What is shown changed (by expiry). */
  changed(): void;
}

const clamp = (n: number, lo: number, hi: number) => Math.max(lo, Math.min(hi, n));

export class RemotePresences {
  private readonly tracker = new PresenceTracker();
  private readonly expiry: Timer;

  private readonly options: RemotePresencesOptions;
  constructor(options: RemotePresencesOptions) {
    this.options = options;
    this.expiry = new Timer(options.scheduler);
  }

  /** What to show, stable between changes. */
  list(): readonly RemotePresence[] {
    return this.tracker.list();
  }

  /** Returns whether what is shown changed (expiry reports its own changes). */
  receive(wire: WirePresence): boolean {
    if (wire.clientId === this.options.presenceId || wire.clientId === this.options.ot.clientId) return false;
    const changed = this.tracker.receive(wire, this.options.scheduler.now() + this.options.ttlMs, this.place);
    this.scheduleExpiry();
    return changed;
  }

  /** Places presences that arrived ahead of the stream, once it has caught up. */
  catchUp(): void {
    this.tracker.catchUp(this.place);
  }

  /** `change` was applied to the local content. */
  transform(change: Delta): void {
    this.tracker.transform(change, this.options.contentLength());
  }

  /** The streams are down: show everyone as away. Returns whether that changed anything. */
  markAway(): boolean {
    return this.tracker.markAway();
  }

  /**
   * The presence stream is (re)opening: it starts with everyone who is
   * here now, so drop what we knew (whoever left meanwhile is not in it).
   */
  clear(): boolean {
    return this.tracker.clear();
  }

  stop(): void {
    this.expiry.clear();
  }

  /** Positions at `version` (server coordinates) -> local coordinates. */
  private readonly place: PlacePositions = (version, [start, end]) => {
    const { ot } = this.options;
    if (version > ot.version) return 'ahead';
    const since = this.options.recent.since(version);
    if (!since) return 'unknown';
    let a = start;
    let b = end;
    for (const delta of since) {
      a = delta.transformPosition(a);
      b = delta.transformPosition(b);
    }
    const pending = ot.pendingDelta();
    if (pending) {
      a = pending.transformPosition(a);
      b = pending.transformPosition(b);
    }
    const length = this.options.contentLength();
    a = clamp(a, 0, length);
    return [a, clamp(b, a, length)];
  };

  private scheduleExpiry(): void {
    const { scheduler } = this.options;
    this.expiry.clear();
    const { changed, next } = this.tracker.expire(scheduler.now());
    if (next !== null) this.expiry.start(next - scheduler.now(), () => this.scheduleExpiry());
    if (changed) this.options.changed();
  }
}
