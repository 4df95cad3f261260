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

export interface StreamOptions {
  log: OperationLog;
  /** Opens a confirmed subscription to the document's committed ops. */
  subscribe: () => Promise<BusSubscription<CommittedOp>>;
  documentId: string;
  afterVersion: number;
  /** Ops read from the log per query. */
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
  let live: BusSubscription<CommittedOp> | null = null;
  let ended = false;
  const generator = run(options, (subscription) => {
    live = subscription;
    if (ended) subscription.close();
  });
  return endable(generator, () => {
    ended = true;
    live?.close();
  });
}

/** One op at a time (`documentOperations`). */
export function operationStream(options: StreamOptions): AsyncIterableIterator<CommittedOp> {
  const batches = operationBatches(options);
  async function* flatten(): AsyncGenerator<CommittedOp, void, undefined> {
    for await (const batch of batches) yield* batch;
  }
  return endable(flatten(), () => void batches.return?.());
}

/**
 * An iterator whose `return()` ends the stream at once, even while it waits
 * for the next live op (a bare async generator would only notice at its
 * next `yield`, keeping an unsubscribed stream alive until then).
 */
function endable<T>(generator: AsyncGenerator<T, void, undefined>, end: () => void): AsyncIterableIterator<T> {
  return {
    next: () => generator.next(),
    return: async () => {
      end();
      return generator.return(undefined);
    },
    throw: async (error: unknown) => {
      end();
      return generator.throw(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}

async function* run(options: StreamOptions, opened: (live: BusSubscription<CommittedOp>) => void): AsyncGenerator<CommittedOp[], void, undefined> {
  const { log, documentId, pageSize = 500, maxBatchBytes = Infinity } = options;
  const cut = (ops: CommittedOp[]) => splitByBytes(ops, maxBatchBytes);
  const live = await options.subscribe();
  opened(live);
  let last = options.afterVersion;

  // Reads (last, upTo] from the log in pages, yielding each op once.
  async function* fill(upTo: number): AsyncGenerator<CommittedOp[], void, undefined> {
    while (last < upTo) {
      const page = await log.readOps(documentId, last, upTo === Infinity ? undefined : upTo, pageSize);
      const fresh: CommittedOp[] = [];
      // The first op read is not the next one, or a gap the bus showed reads
      // empty: retention may have cut the log under this stream (retention.ts),
      // which then ends with SNAPSHOT_REQUIRED. Never skip.
      const first = page[0];
      if (first ? first.version > last + 1 : upTo !== Infinity) await requireKept(log, documentId, last);
      for (const op of page) {
        if (op.version !== last + 1) break; // cannot happen with a gap-free log; never skip
        last = op.version;
        fresh.push(op);
      }
      if (fresh.length > 0) yield* cut(fresh);
      if (fresh.length < pageSize) return;
    }
  }

  try {
    yield* fill(Infinity);
    const arrivals = live[Symbol.asyncIterator]();
    for (;;) {
      const first = await arrivals.next();
      if (first.done) return;
      let batch: CommittedOp[] = [];
      for (const op of [first.value, ...live.drain()]) {
        if (op.version <= last) continue; // already delivered (catch-up overlap or duplicate)
        if (op.version > last + 1) {
          if (batch.length > 0) yield* cut(batch);
          batch = [];
          yield* fill(op.version - 1);
        }
        if (op.version !== last + 1) continue; // the log did not have the gap yet; a later event fills it
        last = op.version;
        batch.push(op);
        if (batch.length === pageSize) {
          yield* cut(batch);
          batch = [];
        }
      }
      if (batch.length > 0) yield* cut(batch);
    }
  } finally {
    live.close();
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
