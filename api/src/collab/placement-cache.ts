// Where the last reads placed a document's threads (or suggestions), so the
// next read moves each one from there, over the ops since, rather than from
// where it is stored. Stored placements catch up only now and then (after
// 100 ops, at a quiet moment: store/write-behind.ts), so without this every
// read of a busy document moved every anchor over the same hundreds of ops
// again, and read those ops from the log again.
//
// Moving is a function of where a thing is stored and the log: a placement
// made from the stored state `source` stays right for as long as the row is
// stored as `source`. A row stored anew (its placement written back, here or
// on another node; detached; settled) has a new source, and the read moves
// it from the row again. So nothing here is ever stale, only unused.
//
// Bounded: least recently read documents go first once the placements'
// weight passes `maxWeight`.

export interface Placed<P> {
  /** The stored state it was moved from (version and range, say): used only while the row is still stored so. */
  source: string;
  /** The version it is placed at. */
  version: number;
  value: P;
}

export interface PlacementCacheOptions<P> {
  /** Most weight kept (all documents). */
  maxWeight: number;
  /** What one placement weighs (about its bytes). */
  weigh: (value: P) => number;
}

interface DocumentPlacements<P> {
  byId: Map<string, Placed<P>>;
  weight: number;
}

export class PlacementCache<P> {
  private readonly maxWeight: number;
  private readonly weigh: (value: P) => number;
  /** In order of use, least recent first. */
  private readonly documents = new Map<string, DocumentPlacements<P>>();
  private weight = 0;

  constructor(options: PlacementCacheOptions<P>) {
    this.maxWeight = options.maxWeight;
    this.weigh = options.weigh;
  }

  /** The placement of `id` made from `source` (as the row is stored now), if one at `head` or before is kept. */
  startOf(documentId: string, id: string, source: string, head: number): Placed<P> | undefined {
    const placed = this.documents.get(documentId)?.byId.get(id);
    return placed && placed.source === source && placed.version <= head ? placed : undefined;
  }

  /** Keeps these placements of `documentId` (id to placement), each unless a newer one of it is kept; the document becomes the most recently used. */
  keep(documentId: string, placements: Iterable<[string, Placed<P>]>): void {
    const doc = this.documents.get(documentId) ?? { byId: new Map<string, Placed<P>>(), weight: 0 };
    this.documents.delete(documentId);
    this.documents.set(documentId, doc);
    for (const [id, placed] of placements) {
      const old = doc.byId.get(id);
      if (old && old.version > placed.version) continue;
      const change = this.weigh(placed.value) - (old ? this.weigh(old.value) : 0);
      doc.byId.set(id, placed);
      doc.weight += change;
      this.weight += change;
    }
    // Heavier than the bound on its own: not kept, and nothing else dropped for it.
    if (doc.weight > this.maxWeight) {
      this.documents.delete(documentId);
      this.weight -= doc.weight;
      return;
    }
    for (const [oldest, placements] of this.documents) {
      if (this.weight <= this.maxWeight) break;
      this.documents.delete(oldest);
      this.weight -= placements.weight;
    }
  }

  /** Placements kept (all documents), for tests. */
  get size(): number {
    let n = 0;
    for (const doc of this.documents.values()) n += doc.byId.size;
    return n;
  }
}
