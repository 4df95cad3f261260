// Presence for a crowd. With one event per cursor move per watcher, a
// document where n people each move once a second costs the node n² sends a
// second (a million at 1,000 people), and every watcher's socket falls
// behind. Here each node subscribes to a document's presence once, however
// many watch it there, keeps only each client's latest state for a short
// window, and hands every watcher the same batch: n messages per window,
// each batch executed and serialised once (shared-stream-results.ts).
//
// A batch waiting when the document's ops go out on this node goes with
// them (opsHandedOut), in the same turn: a watcher's socket then takes
// both in one write instead of two, and a cursor arrives with the text
// that moved it. Batches still go at most once per window.
import { presenceKey, type PresenceState } from './presence.ts';
import { createSubscriptionQueue, type SubscriptionQueue } from './subscription-queue.ts';
import type { BusSubscription } from './types.ts';

/** One window's presence events of a document: the latest per (user, clientId). */
export interface PresenceBatch {
  documentId: string;
  /** Names this batch on this node (null for a watcher's first batch, the current set): results are shared by it. */
  batchId: number | null;
  entries: PresenceState[];
}

export interface PresenceBatchesOptions {
  /** How long events gather before they go out, milliseconds (at least). */
  windowMs: number;
  /**
   * Batches sent a second for one document on this node, summed over its
   * watchers, beyond which the window grows (each send is a socket write,
   * the node's main cost in a crowd): a crowd of n watchers waits
   * n / sendsPerSecond seconds, up to maxWindowMs. Unset: the window stays.
   */
  sendsPerSecond?: number;
  /** The longest the window grows to, milliseconds. */
  maxWindowMs?: number;
  /** The document's presence events (the bus); resolves once no later event can be missed. */
  subscribe: (documentId: string) => Promise<BusSubscription<PresenceState>>;
}

interface Hub {
  source: Promise<BusSubscription<PresenceState>>;
  watchers: Set<SubscriptionQueue<PresenceBatch>>;
  pending: Map<string, PresenceState>;
  timer: NodeJS.Timeout | null;
  /** When the last batch went out (-Infinity: none yet). */
  flushedAt: number;
}

export class PresenceBatches {
  private readonly hubs = new Map<string, Hub>();
  private readonly options: PresenceBatchesOptions;
  private nextBatchId = 0;

  constructor(options: PresenceBatchesOptions) {
    this.options = options;
  }

  /** The number of documents this node follows presence for (a gauge for tests and metrics). */
  get documents(): number {
    return this.hubs.size;
  }

  /**
   * A watcher's batches of `documentId`, live once this resolves: read the
   * current presences after it, so that nothing published in between is missed.
   */
  async watch(documentId: string): Promise<SubscriptionQueue<PresenceBatch>> {
    const hub = this.hubs.get(documentId) ?? this.open(documentId);
    const queue = createSubscriptionQueue<PresenceBatch>(() => this.leave(documentId, hub, queue), 1_000);
    hub.watchers.add(queue);
    try {
      await hub.source;
    } catch (error) {
      queue.close();
      throw error;
    }
    return queue;
  }

  /**
   * Ops of `documentId` are being handed to this node's streams now: the
   * batch waiting for its window goes out in the same turn, unless the
   * last one went out less than a window ago (then it waits, as before).
   */
  opsHandedOut(documentId: string): void {
    const hub = this.hubs.get(documentId);
    if (hub?.timer == null) return; // nothing waiting
    if (performance.now() - hub.flushedAt < this.windowFor(hub.watchers.size)) return;
    clearTimeout(hub.timer);
    this.flush(documentId, hub);
  }

  /** Closes every document's subscription (the node is stopping). */
  dispose(): void {
    for (const hub of this.hubs.values()) for (const watcher of hub.watchers) watcher.close();
  }

  private open(documentId: string): Hub {
    const hub: Hub = { source: this.options.subscribe(documentId), watchers: new Set(), pending: new Map(), timer: null, flushedAt: -Infinity };
    this.hubs.set(documentId, hub);
    hub.source.then(
      (source) => void this.pump(documentId, hub, source),
      () => this.hubs.get(documentId) === hub && this.hubs.delete(documentId),
    );
    return hub;
  }

  private async pump(documentId: string, hub: Hub, source: BusSubscription<PresenceState>): Promise<void> {
    if (hub.watchers.size === 0) return; // every watcher left while it subscribed: leave() closes it
    for await (const state of source) {
      hub.pending.set(presenceKey(state), state); // a later event of a client replaces its earlier one
      hub.timer ??= setTimeout(() => this.flush(documentId, hub), this.windowFor(hub.watchers.size));
    }
  }

  /** The window for a document with `watchers` watchers here. */
  windowFor(watchers: number): number {
    const { windowMs, sendsPerSecond, maxWindowMs } = this.options;
    if (!sendsPerSecond) return windowMs;
    return Math.min(maxWindowMs ?? windowMs, Math.max(windowMs, Math.ceil((watchers * 1_000) / sendsPerSecond)));
  }

  private flush(documentId: string, hub: Hub): void {
    hub.timer = null;
    hub.flushedAt = performance.now();
    const batch: PresenceBatch = { documentId, batchId: this.nextBatchId++, entries: [...hub.pending.values()] };
    hub.pending.clear();
    for (const watcher of hub.watchers) watcher.push(batch);
  }

  private leave(documentId: string, hub: Hub, queue: SubscriptionQueue<PresenceBatch>): void {
    hub.watchers.delete(queue);
    if (hub.watchers.size > 0) return;
    if (this.hubs.get(documentId) === hub) this.hubs.delete(documentId);
    if (hub.timer) clearTimeout(hub.timer);
    hub.source.then((source) => source.close(), () => {});
  }
}
