// A list that is live (docs/protocol.md §14-15): read it, apply each event
// of its stream at once, and read it again after each event. A read answers
// at the moment it was sent, so an event that arrived after a read was sent
// stays applied over that read's answer; an older answer never replaces a
// newer one. (Reads of the same query can overtake each other.)
//
// An item that left the list (a settled suggestion, a deleted thread) never
// comes back, so it stays out whatever a later answer says: urql shares a
// read with an identical one already in flight, so a read "sent" after the
// event may in fact answer from before it.

export interface LiveEvent<T> {
  id: string;
  /** The item as the event has it, or null when it is gone from the list. */
  value: T | null;
}

export class LiveList<T extends { id: string }> {
  private issued = 0;
  private applied = 0;
  private base: readonly T[] | null = null;
  private readonly overrides = new Map<string, { seq: number; value: T | null }>();
  private readonly gone = new Set<string>();

  /** Call before sending a read; pass the ticket to `answered`. */
  reading(): number {
    return ++this.issued;
  }

  /** A read's answer. Returns whether the list changed. */
  answered(ticket: number, items: readonly T[]): boolean {
    if (ticket <= this.applied) return false;
    this.applied = ticket;
    this.base = items;
    for (const [id, o] of this.overrides) if (o.seq < ticket) this.overrides.delete(id);
    return true;
  }

  event(e: LiveEvent<T>): void {
    if (e.value === null) this.gone.add(e.id);
    this.overrides.set(e.id, { seq: ++this.issued, value: e.value });
  }

  /** The list now: null until the first answer. */
  items(): T[] | null {
    if (!this.base) return null;
    const out: T[] = [];
    const seen = new Set<string>();
    for (const item of this.base) {
      seen.add(item.id);
      if (this.gone.has(item.id)) continue;
      const o = this.overrides.get(item.id);
      if (!o) out.push(item);
      else if (o.value) out.push(o.value);
    }
    for (const [id, o] of this.overrides) if (!seen.has(id) && o.value && !this.gone.has(id)) out.push(o.value);
    return out;
  }
}
