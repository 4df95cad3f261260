// One live feed of committed ops per document per node, shared by every
// stream of that document on the node: one transport subscription, one
// decode per op, and, while live delivery cannot be trusted (Redis down),
// one poll of the log per interval instead of one per subscriber.
//
// A feed only ever pushes ops into its subscribers' queues; ordering,
// duplicates and gaps are the streams' business (stream.ts), so an op that
// arrives twice (poll + transport after recovery) or out of order is fine.
import { createSubscriptionQueue, type QueueOwner, type SubscriptionQueue } from './subscription-queue.ts';
import type { BusSubscription, CommittedOp, OperationLog } from './types.ts';

/** Whether the transport currently delivers, and news when that changes. */
export interface LiveState {
  healthy(): boolean;
  onChange(listener: (healthy: boolean) => void): () => void;
}

export const ALWAYS_LIVE: LiveState = { healthy: () => true, onChange: () => () => {} };

export interface FeedOptions {
  log: OperationLog;
  /** Opens the transport subscription for a document (confirmed when healthy). */
  subscribe: (documentId: string) => Promise<BusSubscription<CommittedOp>>;
  /** The document's head version as of now (where polling starts). */
  headVersion: (documentId: string) => Promise<number>;
  live: LiveState;
  /** Poll interval while the transport is down, milliseconds. */
  pollIntervalMs: number;
  /**
   * Polls still made after the transport reports healthy again, each one
   * started after that report (default 2). One suffices when `healthy()`
   * only turns true once the transport's subscriptions are confirmed live:
   * an op published before that was committed before it, so a read that
   * starts later has it.
   */
  graceIntervals?: number;
  /**
   * Told about every op of a document streamed on this node (its own
   * commits and other nodes'), once each, in version order: the sequencer
   * keeps its cached heads current with it (Sequencer.observe), so the
   * next submission here does not start from a stale head.
   */
  onOpSeen?: (op: CommittedOp) => void;
  /** Told about each op handed to this node's subscribers (in the same turn), with how many: metrics, and the presence that goes with it. */
  onFanOut?: (op: CommittedOp, subscribers: number) => void;
  onError?: (error: unknown, context: string) => void;
}

/** Own commits remembered per document until their transport copy returns (a down transport returns none). */
const MAX_LOCAL = 10_000;

class DocumentFeed implements QueueOwner<CommittedOp> {
  readonly queues = new Set<SubscriptionQueue<CommittedOp>>();
  /** Highest version seen from the transport, the log or this node's own commits. */
  lastSeen = 0;
  transport: BusSubscription<CommittedOp> | null = null;
  closed = false;
  /** Versions handed out as this node's own commits whose copy from the transport has not come back yet. */
  readonly local = new Set<number>();

  readonly documentId: string;
  private readonly hooks: Pick<FeedOptions, 'onOpSeen' | 'onFanOut'>;
  /** Called when the last queue closes. */
  private readonly unused: (feed: DocumentFeed) => void;
  constructor(documentId: string, hooks: Pick<FeedOptions, 'onOpSeen' | 'onFanOut'>, unused: (feed: DocumentFeed) => void) {
    this.documentId = documentId;
    this.hooks = hooks;
    this.unused = unused;
  }

  /** A subscriber's queue closed (the feed is each queue's owner: no closure per subscriber). */
  queueClosed(queue: SubscriptionQueue<CommittedOp>): void {
    this.queues.delete(queue);
    if (this.queues.size === 0) this.unused(this);
  }

  push(op: CommittedOp): void {
    if (this.local.delete(op.version)) return; // the transport's copy of an op already handed out
    this.handOut(op);
  }

  handOut(op: CommittedOp): void {
    if (op.version > this.lastSeen) this.lastSeen = op.version;
    for (const q of this.queues) q.push(op);
    this.hooks.onOpSeen?.(op);
    this.hooks.onFanOut?.(op, this.queues.size);
  }
}

export class OperationFeed {
  private readonly docs = new Map<string, { feed: DocumentFeed; ready: Promise<void> }>();
  private timer: NodeJS.Timeout | null = null;
  /**
   * Polls owed since the transport came back. Counted in polls that start
   * after the recovery, not in wall-clock time: a poll that was already
   * under way (or a timer that fired late on a busy node) read the log
   * before the recovery, and an op published before the transport's
   * subscriptions were live again reaches this node through no other path.
   */
  private pollsOwed = 0;
  private polling = false;
  private readonly unwatch: () => void;

  private readonly options: FeedOptions;
  constructor(options: FeedOptions) {
    this.options = options;
    this.unwatch = options.live.onChange((healthy) => {
      if (healthy) this.pollsOwed = Math.max(1, options.graceIntervals ?? 2);
      this.schedule();
    });
  }

  /** Number of documents with live subscribers on this node. */
  get documents(): number {
    return this.docs.size;
  }

  /** Number of live subscriptions on this node. */
  get subscribers(): number {
    let n = 0;
    for (const { feed } of this.docs.values()) n += feed.queues.size;
    return n;
  }

  /** A queue of this document's committed ops, live from the moment it resolves. */
  async subscribe(documentId: string): Promise<BusSubscription<CommittedOp>> {
    let entry = this.docs.get(documentId);
    if (!entry) {
      const feed = new DocumentFeed(documentId, this.options, this.closeFeed);
      entry = { feed, ready: this.open(feed) };
      this.docs.set(documentId, entry);
    }
    const { feed, ready } = entry;
    try {
      await ready;
    } catch (error) {
      if (this.docs.get(documentId)?.feed === feed) this.docs.delete(documentId);
      throw error;
    }
    const queue = createSubscriptionQueue<CommittedOp>(feed);
    feed.queues.add(queue);
    return queue;
  }

  /**
   * Ops this node has just committed: handed to the document's streams now
   * rather than when the transport brings them back (with Redis, a round
   * trip later), and their copy from the transport is dropped. Only when
   * they follow what the feed has seen: out of order, every stream would
   * read the gap from the log, so those wait for the transport.
   */
  deliver(ops: readonly CommittedOp[]): void {
    const feed = ops[0] && this.docs.get(ops[0].documentId)?.feed;
    if (!feed || feed.closed || !feed.transport) return;
    // Ops the feed has seen already (a locked commit hands over the other
    // writers' ops it read, which the transport may have brought first).
    const fresh = ops.filter((op) => op.version > feed.lastSeen);
    if (fresh[0]?.version !== feed.lastSeen + 1) return;
    for (const op of fresh) {
      feed.local.add(op.version);
      feed.handOut(op);
    }
    // A transport that is down never sends the copies back: keep the newest only.
    for (const version of feed.local) {
      if (feed.local.size <= MAX_LOCAL) break;
      feed.local.delete(version);
    }
  }

  dispose(): void {
    this.unwatch();
    if (this.timer) clearTimeout(this.timer);
    for (const { feed } of this.docs.values()) this.close(feed);
  }

  private async open(feed: DocumentFeed): Promise<void> {
    feed.lastSeen = await this.options.headVersion(feed.documentId);
    const transport = await this.options.subscribe(feed.documentId);
    feed.transport = transport;
    if (feed.closed) {
      transport.close();
      return;
    }
    void (async () => {
      // Ops that arrived together (one commit's publishes) reach every
      // stream's queue in the same turn, so each stream sends them as one batch.
      for await (const op of transport) {
        feed.push(op);
        for (const next of transport.drain()) feed.push(next);
      }
    })();
    this.schedule();
  }

  /** Closes a document's feed once nobody follows it (one function for all feeds). */
  private readonly closeFeed = (feed: DocumentFeed): void => this.close(feed);

  private close(feed: DocumentFeed): void {
    feed.closed = true;
    feed.transport?.close();
    if (this.docs.get(feed.documentId)?.feed === feed) this.docs.delete(feed.documentId);
  }

  private needsPolling(): boolean {
    return this.docs.size > 0 && (!this.options.live.healthy() || this.pollsOwed > 0);
  }

  private schedule(): void {
    if (this.timer || this.polling || !this.needsPolling()) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.pollOnce();
    }, this.options.pollIntervalMs);
    this.timer.unref();
  }

  /** Reads every watched document's new ops from the log, one query each. */
  private async pollOnce(): Promise<void> {
    this.polling = true;
    if (this.options.live.healthy() && this.pollsOwed > 0) this.pollsOwed--;
    try {
      for (const { feed } of [...this.docs.values()]) {
        if (feed.closed) continue;
        try {
          const ops = await this.options.log.readOps(feed.documentId, feed.lastSeen, undefined, 1_000);
          for (const op of ops) feed.push(op);
        } catch (error) {
          this.options.onError?.(error, 'poll');
        }
      }
    } finally {
      this.polling = false;
      this.schedule();
    }
  }
}
