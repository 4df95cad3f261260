// Closed-loop editing, as the issue defines it: every writer keeps one op
// in flight (edit, wait for its ack, edit again), on one hot document or
// spread over many; watchers on the first document note when each version
// reaches them.
//
// Measured over a window after a warm-up:
// - committed ops/s: acknowledgements inside the window / window length;
// - ack latency: local edit -> ack (ours: the op back on the writer's own
//   stream; ShareDB: the submit callback);
// - fan-out latency: local edit -> that version's arrival at each watcher
//   (so it includes the commit), for every (op, watcher) pair of the window.
import type { Writer } from '../lib/ours.ts';
import { mapLimit, range, Samples, waitFor } from '../lib/stats.ts';
import { initialContent, prng, randomEdit } from '../lib/edits.ts';
import type { Target, Watcher } from '../lib/targets.ts';

export interface LoadOptions {
  documents: number;
  writersPerDocument: number;
  /** Watchers of the first document. */
  watchers: number;
  warmupMs: number;
  measureMs: number;
  seed?: number;
  /** Told the server's RSS every `sampleEveryMs` during the window (steady-load memory). */
  onSample?: (elapsedMs: number) => void;
  sampleEveryMs?: number;
}

export interface LoadResult {
  /** The measurement window on the monotonic clock, microseconds (as V8 CPU profiles time their samples). */
  window: { startUs: number; endUs: number };
  opsPerSec: number;
  committed: number;
  ack: { p50: number; p99: number };
  fanout: { p50: number; p99: number; samples: number };
}

export async function editLoad(target: Target, options: LoadOptions): Promise<LoadResult> {
  const seed = options.seed ?? 1;
  const docs = await mapLimit(range(options.documents), 16, () => target.createDocument(initialContent()));
  const writers: Writer[] = await mapLimit(range(options.documents * options.writersPerDocument), 32, (i) => target.openWriter(docs[i % docs.length]!));

  // Receipts of every watcher: (version, time) pairs, joined with send times at the end.
  const receiptVersion: number[] = [];
  const receiptTime: number[] = [];
  let receiving = false;
  const seen = new Int32Array(options.watchers);
  const watchers: Watcher[] = await mapLimit(range(options.watchers), 50, (i) =>
    target.openWatcher(docs[0]!, (version) => {
      seen[i] = Math.max(seen[i]!, version);
      if (receiving) {
        receiptVersion.push(version);
        receiptTime.push(performance.now());
      }
    }),
  );

  try {
    // Proof that every watcher is live (ours has no "subscribed" message): one op, seen by all.
    const probe = writers[0]!;
    probe.edit(randomEdit(probe.length(), prng(seed)));
    const probeVersion = await probe.synced();
    if (!(await waitFor(() => seen.every((v) => v >= probeVersion), 60_000))) throw new Error('watchers did not all receive the probe op');

    const sentAt = new Map<number, number>();
    const ack = new Samples();
    let committed = 0;
    let stopped = false;
    const start = performance.now() + options.warmupMs;
    const end = start + options.measureMs;
    const monotonicUs = Number(process.hrtime.bigint() / 1000n) + (start - performance.now()) * 1000;
    const window = { startUs: monotonicUs, endUs: monotonicUs + options.measureMs * 1000 };
    receiving = true;

    const loops = writers.map(async (w, i) => {
      const rand = prng(seed * 7919 + i + 1);
      while (!stopped) {
        const t0 = performance.now();
        w.edit(randomEdit(w.length(), rand));
        const version = await w.synced();
        const t1 = performance.now();
        if (t1 >= start && t1 < end) {
          committed++;
          ack.push(t1 - t0);
        }
        // Fan-out is counted for the ops sent inside the window (the first
        // document's only: the watchers watch that one).
        if (t0 >= start && t0 < end && i % docs.length === 0) sentAt.set(version, t0);
      }
    });
    const firstSample = options.onSample && setTimeout(() => options.onSample!(0), start - performance.now());
    const sampler =
      options.onSample &&
      setInterval(() => {
        const now = performance.now();
        if (now > start && now < end) options.onSample!(now - start);
      }, options.sampleEveryMs ?? 5_000);
    await new Promise<void>((resolve) => setTimeout(resolve, end - performance.now()));
    stopped = true;
    if (sampler) clearInterval(sampler);
    if (firstSample) clearTimeout(firstSample);
    options.onSample?.(options.measureMs);
    await Promise.all(loops);
    // Let the last ops of the window reach every watcher.
    let last = 0;
    for (const v of sentAt.keys()) last = Math.max(last, v);
    await waitFor(() => seen.every((v) => v >= last), 30_000);
    receiving = false;

    const fanout = new Samples();
    for (let i = 0; i < receiptVersion.length; i++) {
      const sent = sentAt.get(receiptVersion[i]!);
      if (sent !== undefined) fanout.push(receiptTime[i]! - sent);
    }
    return {
      window,
      opsPerSec: committed / (options.measureMs / 1000),
      committed,
      ack: { p50: ack.percentile(50), p99: ack.percentile(99) },
      fanout: { p50: fanout.percentile(50), p99: fanout.percentile(99), samples: fanout.count },
    };
  } finally {
    await Promise.allSettled(watchers.map((w) => w.close()));
    await Promise.allSettled(writers.map((w) => w.close()));
  }
}
