// Server memory: resident set size per idle connection holding one
// document subscription, and RSS growth under a steady editing load.
// RSS is what the OS charges the process (heap, buffers, code), read from
// /proc right after a full GC that the bench triggers in the server (both
// servers run with bench/lib/gc-on-signal.mjs for these workloads).
import { prng, randomEdit, initialContent } from '../lib/edits.ts';
import { mapLimit, range, sleep, waitFor } from '../lib/stats.ts';
import type { Target, Watcher } from '../lib/targets.ts';
import { editLoad, type LoadOptions, type LoadResult } from './edit-load.ts';

interface MemoryReading {
  rss: number;
  /** V8 heap in use + memory held outside it (buffers, WASM), after a full GC. */
  heap: number;
}

/** After a full GC: the median of three RSS readings 200 ms apart, and the heap. */
async function steadyMemory(target: Target): Promise<MemoryReading> {
  const usage = await target.server.collect();
  const readings: number[] = [];
  for (let i = 0; i < 3; i++) {
    readings.push(target.server.rss());
    await sleep(200);
  }
  return { rss: readings.sort((a, b) => a - b)[1]!, heap: usage ? usage.heapUsed + usage.external : NaN };
}

export interface IdleResult {
  connections: number;
  /** RSS growth per connection. */
  bytesPerConnection: number;
  /** Heap (used + external) growth per connection: steadier than RSS, which keeps freed pages. */
  heapPerConnection: number;
}

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
      results.push({ connections: count, bytesPerConnection: (now.rss - base.rss) / count, heapPerConnection: (now.heap - base.heap) / count });
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
  load: LoadResult;
}

/** RSS (after a full GC) at the start and at the end of a steady hot-document load (`measureMs` long). */
export async function steadyLoad(target: Target, options: Omit<LoadOptions, 'onSample'>): Promise<SteadyResult> {
  const gcThenRss = () => steadyMemory(target).then((m) => m.rss);
  let start: Promise<number> | null = null;
  let end: Promise<number> | null = null;
  const load = await editLoad(target, {
    ...options,
    onSample: (elapsed) => {
      // One collection at each end of the window; the load keeps running meanwhile.
      if (elapsed === 0) start = gcThenRss();
      else if (elapsed >= options.measureMs) end = gcThenRss();
    },
  });
  const startRss = await (start ?? Promise.resolve(NaN));
  const endRss = await (end ?? Promise.resolve(NaN));
  return { startRss, endRss, growthBytes: endRss - startRss, load };
}
