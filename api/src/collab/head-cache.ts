// Per-node cache of document heads, least recently used first out.
// Loading = newest snapshot + the ops after it. Concurrent loads of one
// document share one promise so the log is read once.
import { Delta } from '../../../protocol/delta.ts';
import { notFound } from '../errors.ts';
import { DocumentHead } from './document-head.ts';
import { MAX_VERSION, type OperationLog } from './types.ts';

export interface HeadCacheOptions {
  /** How many documents to keep in memory. */
  maxDocuments: number;
  /** How many recent ops each head keeps for rebasing. */
  window: number;
}

export class HeadCache {
  private readonly heads = new Map<string, DocumentHead>();
  private readonly loading = new Map<string, Promise<DocumentHead>>();

  private readonly log: OperationLog;
  private readonly options: HeadCacheOptions;
  constructor(log: OperationLog, options: HeadCacheOptions) {
    this.log = log;
    this.options = options;
  }

  async get(documentId: string): Promise<DocumentHead> {
    const cached = this.heads.get(documentId);
    if (cached) {
      // Map order is recency order: move to the back.
      this.heads.delete(documentId);
      this.heads.set(documentId, cached);
      return cached;
    }
    let pending = this.loading.get(documentId);
    if (!pending) {
      pending = this.load(documentId).finally(() => this.loading.delete(documentId));
      this.loading.set(documentId, pending);
    }
    return pending;
  }

  /**
   * Brings a head up to the log's head (other nodes may have written).
   * Returns the head now in the cache, which may be a fresh one.
   */
  async refresh(documentId: string): Promise<DocumentHead> {
    const head = await this.get(documentId);
    const newer = await this.log.readOps(documentId, head.version);
    for (const op of newer) {
      if (!head.apply(op)) {
        this.forget(documentId);
        return this.get(documentId);
      }
    }
    return head;
  }

  /** The cached head, if any, without loading or touching recency. */
  peek(documentId: string): DocumentHead | undefined {
    return this.heads.get(documentId);
  }

  forget(documentId: string): void {
    this.heads.delete(documentId);
  }

  private async load(documentId: string): Promise<DocumentHead> {
    const snapshot = await this.log.latestSnapshot(documentId, MAX_VERSION);
    const from = snapshot?.version ?? 0;
    const tail = await this.log.readOps(documentId, from);
    if (!snapshot && tail.length === 0 && !(await this.log.exists(documentId))) throw notFound();
    // A stored snapshot stays text but for the blocks the tail changes. The
    // tail goes onto it through the head's chunked content: Delta.compose
    // copies the whole content (and deep-copies every op's attributes) per
    // op, ~2 s for a few ops onto 100k formatted runs.
    const head = new DocumentHead(from, snapshot?.stored ?? snapshot?.content ?? new Delta(), [], this.options.window);
    for (const op of tail) {
      if (!head.apply(op)) throw new Error(`operation log of ${documentId} skips from ${head.version} to ${op.version}`);
    }
    this.heads.set(documentId, head);
    while (this.heads.size > this.options.maxDocuments) {
      const oldest = this.heads.keys().next().value;
      if (oldest === undefined) break;
      this.heads.delete(oldest);
    }
    return head;
  }
}
