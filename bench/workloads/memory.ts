// Server memory: resident set size per idle connection holding one
// document subscription, and RSS growth under a steady editing load.
// RSS is what the OS charges the process (heap, buffers, code), read from
// /proc right after a full GC that the bench triggers in the server (both
// servers run with bench/lib/gc-on-signal.mjs for these workloads).
import { prng, randomEdit, initialContent } from '../lib/edits.ts';
import { mapLimit, range, sleep, waitFor } from '../lib/stats.ts';
import type { Target, Watcher } from '../lib/targets.ts';
import { editLoad, type LoadOptions, type LoadResult } from './edit-load.ts';

export interface MemoryReading {
  rss: number;
  /** V8 heap in use + memory held outside it (buffers, WASM), after a full GC. */
  heap: number;
  /** V8 heap in use alone, after a full GC: what a leak in JavaScript grows. */
  heapUsed: number;
  /** What V8 holds for its heap, used or not (pages it keeps after a GC count in RSS). */
  heapTotal: number;
  /** Memory V8 knows is held outside its heap (buffers, PGlite's WebAssembly memory), after a full GC. */
  external: number;
  /** The part of `external` in ArrayBuffers and Buffers (not WebAssembly memory), after a full GC. */
  arrayBuffers: number;
  /** The part of `heapUsed` that is compiled code and its metadata (gc-on-signal.mjs). */
  code: number;
}

/** After a full GC: the median of three RSS readings 200 ms apart, and the heap. */
async function steadyMemory(target: Target): Promise<MemoryReading> {
  const usage = await target.server.collect();
  const readings: number[] = [];
  for (let i = 0; i < 3; i++) {
    readings.push(target.server.rss());
    await sleep(200);
  }
  return {
    rss: readings.sort((a, b) => a - b)[1]!,
    heap: usage ? usage.heapUsed + usage.external : NaN,
    heapUsed: usage?.heapUsed ?? NaN,
    heapTotal: usage?.heapTotal ?? NaN,
    external: usage?.external ?? NaN,
    arrayBuffers: usage?.arrayBuffers ?? NaN,
    code: usage?.code ?? NaN,
  };
}

export interface IdleResult {
  connections: number;
  /** RSS growth per connection. */
  bytesPerConnection: number;
  /** Heap (used + external) growth per connection: steadier than RSS, which keeps freed pages. */
  heapPerConnection: number;
  /**
   * V8's heap used + ArrayBuffers, less compiled code, growth per
   * connection: the data JavaScript keeps per socket. Leaves out code (V8
   * compiles as it goes, not per socket) and the rest of `external`, which
   * embedded is mostly PGlite's WebAssembly memory: PostgreSQL's, growing
   * in steps of its own (±3 MB between two readings of one idle node).
   */
  jsPerConnection: number;
}

/**
 * `field` per connection added from `from`'s count to `to`'s: without what
 * the node grows by once, nor memory it happens to free after the baseline.
 */
export function addedPerConnection(from: IdleResult, to: IdleResult, field: 'heapPerConnection' | 'jsPerConnection'): number {
  return (to[field] * to.connections - from[field] * from.connections) / (to.connections - from.connections);
}

/**
 * Per count, each field's median over runs of idleConnections on fresh
 * nodes. One node's figure is steady (readings after full GCs agree within
 * 0.3 MB) but moves between nodes: 6.2, 7.1 and 9.6 KiB per socket at
 * 5,000 in three runs on one machine, so one run could pass or fail item 3.
 */
export function medianOfRuns(runs: readonly IdleResult[][]): IdleResult[] {
  if (runs.length === 0) throw new RangeError('medianOfRuns: no runs');
  const counts = runs[0]!.map((r) => r.connections);
  if (runs.some((run) => run.length !== counts.length || run.some((r, i) => r.connections !== counts[i]))) throw new RangeError('medianOfRuns: runs at different counts');
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = sorted.length >> 1;
    return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  };
  return counts.map((connections, i) => ({
    connections,
    bytesPerConnection: median(runs.map((run) => run[i]!.bytesPerConnection)),
    heapPerConnection: median(runs.map((run) => run[i]!.heapPerConnection)),
    jsPerConnection: median(runs.map((run) => run[i]!.jsPerConnection)),
  }));
}

/** V8's heap used less compiled code, plus ArrayBuffers: what jsPerConnection counts. */
const jsBytes = (m: MemoryReading) => m.heapUsed - m.code + m.arrayBuffers;

/** Opens connections up to each count in turn (one subscription each) and reports RSS growth per connection. */
export async function idleConnections(target: Target, counts: number[]): Promise<IdleResult[]> {
  const doc = await target.createDocument(initialContent());
  const writer = await target.openWriter(doc);
  const rand = prng(42);
  const watchers: Watcher[] = [];
  const seen: number[] = [];
  try {
    // Warm the paths the connections use, then take the baseline.
    const warm = await mapLimit(range(20), 20, (i) => target.openWatcher(doc, (v) => (seen[i] = v)));
    await Promise.all(warm.map((w) => w.close()));
    seen.length = 0;
    await sleep(2_000);
    const base = await steadyMemory(target);
    const results: IdleResult[] = [];
    for (const count of counts) {
      const more = await mapLimit(range(count - watchers.length), 100, async () => {
        const i = seen.push(0) - 1;
        return target.openWatcher(doc, (v) => (seen[i] = v));
      });
      watchers.push(...more);
      // Every subscription is live once one op has reached them all.
      writer.edit(randomEdit(writer.length(), rand));
      const version = await writer.synced();
      if (!(await waitFor(() => seen.every((v) => v >= version), 60_000))) throw new Error(`not all ${count} connections received the op`);
      await sleep(3_000);
      const now = await steadyMemory(target);
      results.push({
        connections: count,
        bytesPerConnection: (now.rss - base.rss) / count,
        heapPerConnection: (now.heap - base.heap) / count,
        jsPerConnection: (jsBytes(now) - jsBytes(base)) / count,
      });
    }
    return results;
  } finally {
    await mapLimit(watchers, 200, (w) => w.close());
    await writer.close();
  }
}

export interface SteadyResult {
  startRss: number;
  endRss: number;
  growthBytes: number;
  /** After a full GC, right after the warm-up and at the end of the window. */
  start: MemoryReading;
  end: MemoryReading;
  /** Readings taken along the window (SteadyOptions.readEveryMs): seconds into it, MiB. */
  along: Array<{ s: number; rssMiB: number; heapUsedMiB: number; heapTotalMiB: number; externalMiB: number }>;
  load: LoadResult;
}

export interface SteadyOptions extends Omit<LoadOptions, 'onSample' | 'sampleEveryMs'> {
  /** Also read memory (after a full GC) this often along the window, ms: a soak's trend. @default none */
  readEveryMs?: number;
}

/**
 * Memory (after a full GC) right after the warm-up and at the end of a
 * steady hot-document load (`measureMs` long), and along it if asked.
 */
export async function steadyLoad(target: Target, options: SteadyOptions): Promise<SteadyResult> {
  const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  const along: SteadyResult['along'] = [];
  const readings: Array<Promise<unknown>> = [];
  let start: Promise<MemoryReading> | null = null;
  let end: Promise<MemoryReading> | null = null;
  let nextRead = options.readEveryMs ?? Infinity;
  const load = await editLoad(target, {
    ...options,
    sampleEveryMs: Math.min(5_000, options.readEveryMs ?? 5_000),
    onSample: (elapsed) => {
      // The load keeps running meanwhile.
      if (elapsed === 0) start = steadyMemory(target);
      else if (elapsed >= options.measureMs) end = steadyMemory(target);
      else if (elapsed >= nextRead) {
        nextRead += options.readEveryMs!;
        readings.push(steadyMemory(target).then((m) => along.push({ s: Math.round(elapsed / 1000), rssMiB: mib(m.rss), heapUsedMiB: mib(m.heapUsed), heapTotalMiB: mib(m.heapTotal), externalMiB: mib(m.external) })));
      }
    },
  });
  await Promise.all(readings);
  const missing: MemoryReading = { rss: NaN, heap: NaN, heapUsed: NaN, heapTotal: NaN, external: NaN, arrayBuffers: NaN, code: NaN };
  const first = await (start ?? Promise.resolve(missing));
  const last = await (end ?? Promise.resolve(missing));
  return { startRss: first.rss, endRss: last.rss, growthBytes: last.rss - first.rss, start: first, end: last, along, load };
}
