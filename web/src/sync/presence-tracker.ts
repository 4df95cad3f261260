// Other people's selections, kept in local coordinates. A presence arrives
// at the version its sender had; it is placed by transforming it over the
// ops since then and over our pending edits, then moved along with every
// change to the local document. One that arrives ahead of our version waits
// until the stream catches up; one from before the ops we still know (its
// sender lags behind, and we joined later) is not shown, rather than shown
// in the wrong place, until its sender's next update (within a heartbeat);
// one is dropped when the server says it left (its socket closed, or it
// expired there) and, failing that, when not refreshed within the TTL.
// Entries are per (user, clientId): a clientId is only unique per user.
// While we cannot hear the server (offline, reconnecting) nobody's leave
// reaches us: every entry is shown as away until the presence stream is
// back and tells us again who is here.
import type { Delta } from '../../../protocol/delta.ts';
import type { WirePresence } from './transport.ts';

export interface RemotePresence {
  clientId: string;
  user: { id: string; name: string } | null;
  /** Selection start in the local document. */
  index: number;
  length: number;
  /** Last known only: we are not connected, so they may have left since. */
  away: boolean;
}

const keyOf = (wire: WirePresence) => JSON.stringify([wire.user?.id ?? null, wire.clientId]);

interface Shown {
  key: string;
  clientId: string;
  user: WirePresence['user'];
  start: number;
  end: number;
  expiresAt: number;
  away: boolean;
}

/**
 * Maps positions at `version` to the local document: 'ahead' when we have
 * not seen `version` yet, 'unknown' when the ops after it are no longer kept.
 */
export type PlacePositions = (version: number, positions: [number, number]) => [number, number] | 'ahead' | 'unknown';

/**
 * A selection [start, end) moved through `change`, as every receiver moves
 * the ones it shows (and a sender works out where they have its own):
 * an insert at a position goes before it; clamped to `length`, the
 * document's length after the change.
 */
export function moveSelection(change: Delta, start: number, end: number, length: number): [number, number] {
  const from = Math.min(length, change.transformPosition(start));
  return [from, Math.max(from, Math.min(length, change.transformPosition(end)))];
}

export class PresenceTracker {
  private readonly shown = new Map<string, Shown>();
  private readonly waiting = new Map<string, { wire: WirePresence; expiresAt: number }>();
  private cached: RemotePresence[] | null = [];

  /** Returns whether what is shown changed. */
  receive(wire: WirePresence, expiresAt: number, place: PlacePositions): boolean {
    const key = keyOf(wire);
    if (wire.left) {
      this.waiting.delete(key);
      if (!this.shown.delete(key)) return false;
      this.cached = null;
      return true;
    }
    const placed = place(wire.version, [wire.index, wire.index + wire.length]);
    if (placed === 'ahead') {
      this.waiting.set(key, { wire, expiresAt });
      return false;
    }
    this.waiting.delete(key);
    if (placed === 'unknown') {
      this.cached = null;
      return this.shown.delete(key);
    }
    this.shown.set(key, { key, clientId: wire.clientId, user: wire.user, start: placed[0], end: placed[1], expiresAt, away: false });
    this.cached = null;
    return true;
  }

  /** Places waiting presences the stream has caught up with. */
  catchUp(place: PlacePositions): boolean {
    let changed = false;
    for (const { wire, expiresAt } of [...this.waiting.values()]) changed = this.receive(wire, expiresAt, place) || changed;
    return changed;
  }

  /** `change` was applied to the local document (now `length` long). */
  transform(change: Delta, length: number): void {
    if (this.shown.size === 0) return;
    for (const p of this.shown.values()) [p.start, p.end] = moveSelection(change, p.start, p.end, length);
    this.cached = null;
  }

  /** Drops presences not refreshed in time; returns the next expiry (or null). */
  expire(now: number): { changed: boolean; next: number | null } {
    let changed = false;
    let next: number | null = null;
    for (const [id, p] of this.shown) {
      if (p.expiresAt <= now) {
        this.shown.delete(id);
        changed = true;
      } else next = next === null ? p.expiresAt : Math.min(next, p.expiresAt);
    }
    for (const [id, w] of this.waiting) {
      if (w.expiresAt <= now) this.waiting.delete(id);
      else next = next === null ? w.expiresAt : Math.min(next, w.expiresAt);
    }
    if (changed) this.cached = null;
    return { changed, next };
  }

  /** We stopped hearing the server: everyone shown is away until heard from again. Returns whether that changed anything. */
  markAway(): boolean {
    let changed = false;
    for (const p of this.shown.values()) {
      changed ||= !p.away;
      p.away = true;
    }
    if (changed) this.cached = null;
    return changed;
  }

  /** Forgets everyone; returns whether anyone was shown. */
  clear(): boolean {
    const had = this.shown.size > 0;
    this.shown.clear();
    this.waiting.clear();
    this.cached = null;
    return had;
  }

  /** What to show, stable between changes (safe for React's useSyncExternalStore). */
  list(): readonly RemotePresence[] {
    this.cached ??= [...this.shown.values()]
      .sort((a, b) => a.clientId.localeCompare(b.clientId) || a.key.localeCompare(b.key))
      .map((p) => ({ clientId: p.clientId, user: p.user, index: p.start, length: p.end - p.start, away: p.away }));
    return this.cached;
  }
}
