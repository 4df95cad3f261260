// Server memory: resident set size per idle connection holding one
// document subscription, and RSS growth under a steady editing load.
// RSS is what the OS charges the process (heap, buffers, code, garbage not
// yet collected), read from /proc; nothing forces a GC, on either side.
import { prng, randomEdit, initialContent } from '../lib/edits.js';
import { mapLimit, range, sleep, waitFor } from '../lib/stats.js';
import type { Target, Watcher } from '../lib/targets.js';
import { editLoad, type LoadOptions, type LoadResult } from './edit-load.js';

/** Median of three RSS readings 200 ms apart (one reading can catch a GC mid-way). */
async function steadyRss(target: Target): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 3; i++) {
    readings.push(target.server.rss());
    await sleep(200);
  }
  return readings.sort((a, b) => a - b)[1]!;
}

export interface IdleResult {
  connections: number;
  bytesPerConnection: number;
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
    const base = await steadyRss(target);
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
      const rss = await steadyRss(target);
      results.push({ connections: count, bytesPerConnection: (rss - base) / count });
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

/** RSS from the start to the end of a steady hot-document load (`measureMs` long). */
export async function steadyLoad(target: Target, options: Omit<LoadOptions, 'onSample'>): Promise<SteadyResult> {
  let startRss = NaN;
  let endRss = NaN;
  const load = await editLoad(target, {
    ...options,
    onSample: (elapsed) => {
      const rss = target.server.rss();
      if (Number.isNaN(startRss)) startRss = rss;
      if (elapsed >= options.measureMs) endRss = rss;
    },
  });
  return { startRss, endRss, growthBytes: endRss - startRss, load };
}
