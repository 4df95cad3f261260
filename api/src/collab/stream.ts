// The exact operation stream (docs/architecture.md, Invariants): every op with version >
// afterVersion, in order, each exactly once, then live ones.
//
// Order matters: subscribe to the bus FIRST (and wait until the
// subscription is confirmed), THEN read the catch-up from the log. An op
// committed in between is then both in the log and in the bus buffer, and
// the version check drops the second copy. Reading first would lose it.
// Live events that skip versions (a dropped or reordered message) are
// filled from the log, which has every op before it is published.
import { opsBytes } from './content-bytes.ts';
import { requireKept } from './retention.ts';
import type { BusSubscription, CommittedOp, OperationLog } from './types.ts';

/** A node's live ops by document (the feed). */
export interface LiveOps {
  /** A confirmed subscription to the document's committed ops. */
  subscribe(documentId: string): Promise<BusSubscription<CommittedOp>>;
}

/** What a node holds in memory of a document's newest ops (the sequencer). */
export interface RecentOps {
  /**
   * Every op after `afterVersion` up to the log's head as of this call,
   * from memory; null when this node cannot be sure it holds them all.
   */
  recentOps(documentId: string, afterVersion: number): CommittedOp[] | null;
}

export interface StreamOptions {
  log: OperationLog;
  /**
   * Where the catch-up is taken from before the log: a crowd joining a
   * busy document would otherwise read the same recent ops from the log
   * once per subscriber (~3 ms of PGlite each for 100 joiners of a 5 MB
   * document, bench/README.md). Asked only after the subscription is
   * confirmed, as the log would be.
   */
  recent?: RecentOps;
  /** Where the document's live ops come from (the feed): an object, not a closure per stream. */
  live: LiveOps;
  documentId: string;
  afterVersion: number;
  /** Ops read from the log per query, and most ops in one batch. @default 500 */
  pageSize?: number;
  /**
   * Most bytes of ops (content-bytes.ts) in one batch, so that a batch fits
   * a response's byte budget (MAX_RESPONSE_BYTES); a larger op travels
   * alone. @default unlimited
   */
  maxBatchBytes?: number;
}

/**
 * The same stream in batches: each item is one or more consecutive ops
 * (a page of the catch-up, or the live ops that arrived together, such as
 * one group commit), so a subscriber gets one message per batch instead of
 * one per op. At most `pageSize` ops per batch.
 */
export function operationBatches(options: StreamOptions): AsyncIterableIterator<CommittedOp[]> {
  return new OperationBatches(options);
}

/** One op at a time (`documentOperations`). */
export function operationStream(options: StreamOptions): AsyncIterableIterator<CommittedOp> {
  return new OneAtATime(new OperationBatches(options));
}

const DONE: IteratorResult<never> = Object.freeze({ value: undefined, done: true });

/**
 * The stream as a state machine rather than an async generator: an idle
 * subscriber (most of a node's) then holds this object and one pending
 * promise, not a suspended generator frame with its closures and the
 * promise of every layer in between (docs/capacity.md). Its `return()`
 * ends the stream at once, even while it waits for the next live op.
 *
 * next() does, in order: hand out a batch already cut; subscribe and start
 * the catch-up (first call); read one page of the log while a fill is under
 * way (the catch-up, or a gap the bus showed), so a long one is read page
 * by page as the consumer pulls; go on with the ops of the last arrival;
 * else wait for the next arrival.
 */
class OperationBatches implements AsyncIterableIterator<CommittedOp[]> {
  private readonly options: StreamOptions;
  private live: BusSubscription<CommittedOp> | null = null;
  private arrivals: AsyncIterator<CommittedOp> | null = null;
  /** Version of the last op handed out (or skipped as already had). */
  private last: number;
  /** Batches cut, not yet handed out. */
  private ready: CommittedOp[][] = [];
  /** Read the log up to this version (Infinity: the catch-up, to the end) before anything else; null: no fill. */
  private fillUpTo: number | null = Infinity;
  /** Ops of the last arrival not yet looked at (from `pendingAt`). */
  private pending: CommittedOp[] | null = null;
  private pendingAt = 0;
  /** The op a gap was just filled before: not filled for again (the log may not have had the gap yet). */
  private filledBefore: number | null = null;
  private ended = false;
  constructor(options: StreamOptions) {
    this.options = options;
    this.last = options.afterVersion;
  }

  next(): Promise<IteratorResult<CommittedOp[]>> {
    for (;;) {
      const batch = this.ready.shift();
      if (batch) return Promise.resolve({ value: batch, done: false });
      if (this.ended) return Promise.resolve(DONE);
      if (!this.arrivals) return this.guard(this.open());
      if (this.fillUpTo !== null) return this.guard(this.readPage());
      if (this.pending) {
        this.process();
        continue;
      }
      return this.arrivals.next().then((first) => {
        if (first.done) {
          this.finish();
          return DONE;
        }
        if (this.ended) return DONE;
        this.pending = [first.value, ...this.live!.drain()];
        this.pendingAt = 0;
        return this.next();
      });
    }
  }

  private get pageSize(): number {
    return this.options.pageSize ?? 500;
  }

  /** Subscribe FIRST (confirmed), then the catch-up: from `recent` when it holds it all, else read from the log (see the top of this file). */
  private async open(): Promise<void> {
    const live = await this.options.live.subscribe(this.options.documentId);
    this.live = live;
    this.arrivals = live[Symbol.asyncIterator]();
    if (this.ended) return live.close();
    const held = this.options.recent?.recentOps(this.options.documentId, this.last);
    // Else (or if they do not start right after, which cannot happen) the catch-up reads the log.
    if (!held || (held.length > 0 && held[0]!.version !== this.last + 1)) return;
    const pageSize = this.pageSize;
    for (let at = 0; at < held.length; at += pageSize) this.cut(held.slice(at, at + pageSize));
    if (held.length > 0) this.last = held.at(-1)!.version;
    this.fillUpTo = null;
  }

  /** Reads one page of (last, fillUpTo] from the log, each op once. */
  private async readPage(): Promise<void> {
    const upTo = this.fillUpTo!;
    const { log, documentId } = this.options;
    const pageSize = this.pageSize;
    if (this.last >= upTo) {
      this.fillUpTo = null;
      return;
    }
    const page = await log.readOps(documentId, this.last, upTo === Infinity ? undefined : upTo, pageSize);
    // The first op read is not the next one, or a gap the bus showed reads
    // empty: retention may have cut the log under this stream (retention.ts),
    // which then ends with SNAPSHOT_REQUIRED. Never skip.
    const first = page[0];
    if (first ? first.version > this.last + 1 : upTo !== Infinity) await requireKept(log, documentId, this.last);
    if (this.ended) return;
    const fresh: CommittedOp[] = [];
    for (const op of page) {
      if (op.version !== this.last + 1) break; // cannot happen with a gap-free log; never skip
      this.last = op.version;
      fresh.push(op);
    }
    this.cut(fresh);
    if (fresh.length < pageSize || this.last >= upTo) this.fillUpTo = null;
  }

  /** Goes through the last arrival's ops until they are done or a gap must be read first. */
  private process(): void {
    const ops = this.pending!;
    const pageSize = this.pageSize;
    let batch: CommittedOp[] = [];
    while (this.pendingAt < ops.length) {
      const op = ops[this.pendingAt]!;
      if (op.version <= this.last) {
        this.pendingAt++;
        continue; // already delivered (catch-up overlap or duplicate)
      }
      if (op.version > this.last + 1 && this.filledBefore !== op.version) {
        // A gap: what came before it goes first, then the log fills it, then this op is looked at again.
        this.cut(batch);
        this.fillUpTo = op.version - 1;
        this.filledBefore = op.version;
        return;
      }
      this.filledBefore = null;
      this.pendingAt++;
      if (op.version !== this.last + 1) continue; // the log did not have the gap yet; a later event fills it
      this.last = op.version;
      batch.push(op);
      if (batch.length === pageSize) {
        this.cut(batch);
        batch = [];
      }
    }
    this.cut(batch);
    this.pending = null;
  }

  /** Queues `ops` as batches of at most maxBatchBytes (one op alone may be more). */
  private cut(ops: CommittedOp[]): void {
    if (ops.length === 0) return;
    for (const part of splitByBytes(ops, this.options.maxBatchBytes ?? Infinity)) this.ready.push(part);
  }

  /** Runs an async step, then goes on; a failure ends the stream (its subscription closed) and rejects this next(). */
  private guard(step: Promise<void>): Promise<IteratorResult<CommittedOp[]>> {
    return step.then(
      () => this.next(),
      (error: unknown) => {
        this.finish();
        throw error;
      },
    );
  }

  private finish(): void {
    this.ended = true;
    this.ready = [];
    this.pending = null;
    this.live?.close();
  }

  return(): Promise<IteratorResult<CommittedOp[]>> {
    this.finish();
    return Promise.resolve(DONE);
  }

  throw(error: unknown): Promise<IteratorResult<CommittedOp[]>> {
    this.finish();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<CommittedOp[]> {
    return this;
  }
}

/** The ops of each batch one by one. */
class OneAtATime implements AsyncIterableIterator<CommittedOp> {
  private readonly batches: OperationBatches;
  private batch: CommittedOp[] = [];
  constructor(batches: OperationBatches) {
    this.batches = batches;
  }

  next(): Promise<IteratorResult<CommittedOp>> {
    const op = this.batch.shift();
    if (op) return Promise.resolve({ value: op, done: false });
    return this.batches.next().then((result) => {
      if (result.done) return DONE;
      this.batch = result.value;
      return this.next();
    });
  }

  return(): Promise<IteratorResult<CommittedOp>> {
    this.batch = [];
    return this.batches.return().then(() => DONE);
  }

  throw(error: unknown): Promise<IteratorResult<CommittedOp>> {
    this.batch = [];
    return this.batches.throw(error).then(() => DONE);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<CommittedOp> {
    return this;
  }
}

/** Consecutive runs of `ops` of at most `maxBytes` each (one op alone may be more). */
function* splitByBytes(ops: CommittedOp[], maxBytes: number): Generator<CommittedOp[], void, undefined> {
  if (maxBytes === Infinity) {
    yield ops;
    return;
  }
  let part: CommittedOp[] = [];
  let bytes = 0;
  for (const op of ops) {
    const size = opsBytes(op.delta.ops);
    if (part.length > 0 && bytes + size > maxBytes) {
      yield part;
      part = [];
      bytes = 0;
    }
    part.push(op);
    bytes += size;
  }
  if (part.length > 0) yield part;
}
