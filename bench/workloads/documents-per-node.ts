// Documents per node (issue 21 item 1): N documents, each with 3 people
// typing at human speed and 2 more watching; how large can N grow on one
// node before people notice?
//
// Every typist is the real client (ours: DocumentSync; ShareDB: its Doc),
// opened with presence: it sees the others' cursors and sends its own
// after each keystroke (ours through the engine's 100 ms throttle, as in
// the editor; ShareDB's client sends each one). A typist types at its
// caret, as a person does: the first keystroke a quarter, half or three
// quarters into the text, each later one right after the one before,
// with the caret moved by the others' edits as the editor moves it (until
// 2026-12-08 every keystroke went to that fraction of the text's current
// length: a jump of a character or so at most keystrokes, which the
// engine rightly sent as news). Keystrokes go out on a
// jittered schedule, 150-250 ms apart per typist, not after the previous
// ack: a keystroke typed while an op is in flight is composed into the
// next one, as the editor does, and a slow server shows in the latencies
// instead of slowing the typing. Watchers are bare subscriptions to the
// op stream (and the presence stream, dropped unread).
//
// Measured over a window after a warm-up:
// - ack: keystroke -> acknowledged (the op that carried it);
// - remote keystroke: keystroke -> the version that acknowledged it
//   arrives at each watcher of that document (an upper bound: that
//   version may hold later keystrokes);
// - node CPU (user + system of the server process(es), from /proc) per
//   version committed in the window; presence is part of what it pays for;
// - the bench process's event-loop delay: the clients run there and share
//   the machine's cores with the node, so a high figure means the clients,
//   not the server, were late.
// A keystroke not acknowledged (or not delivered) 30 s after the window
// counts as that late; the result says how many.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Writer } from '../lib/ours.ts';
import { initialContent, prng } from '../lib/edits.ts';
import { mapLimit, range, Samples, sleep, waitFor } from '../lib/stats.ts';
import type { Target, Watcher } from '../lib/targets.ts';

export interface DocumentsOptions {
  documents: number;
  /** @default 3 */
  typistsPerDocument?: number;
  /** @default 2 */
  watchersPerDocument?: number;
  /** Gap between one typist's keystrokes, uniformly in [min, max] ms. @default [150, 250] */
  gapMs?: readonly [number, number];
  /** @default true */
  presence?: boolean;
  warmupMs: number;
  measureMs: number;
  seed?: number;
}

export interface DocumentsResult {
  /** The measurement window on the monotonic clock, microseconds (as V8 CPU profiles time their samples). */
  window: { startUs: number; endUs: number };
  documents: number;
  keystrokes: number;
  ack: { p50: number; p99: number };
  remote: { p50: number; p99: number };
  /** Versions committed per second in the window, all documents together. */
  opsPerSec: number;
  /** Server CPU over the window per committed version, microseconds. */
  cpuPerOpUs: number;
  /** Server CPU over the window, share of one core. */
  serverCores: number;
  /** The bench process's event-loop delay p99 over the window, ms. */
  clientLoopDelayP99: number;
  /** Keystrokes not acknowledged, and (keystroke, watcher) pairs not delivered, 30 s after the window. */
  unacked: number;
  undelivered: number;
}

/** The targets for one probe. */
export const TARGETS = { ackP99Ms: 100, remoteP99Ms: 150 };

export const meetsTargets = (r: DocumentsResult) => r.ack.p99 <= TARGETS.ackP99Ms && r.remote.p99 <= TARGETS.remoteP99Ms && r.unacked === 0 && r.undelivered === 0;

const LETTERS = 'etaoin shrdlu';

export async function documentsPerNode(target: Target, options: DocumentsOptions): Promise<DocumentsResult> {
  const typistsPer = options.typistsPerDocument ?? 3;
  const watchersPer = options.watchersPerDocument ?? 2;
  const [minGap, maxGap] = options.gapMs ?? [150, 250];
  const presence = options.presence ?? true;
  const rand = prng(options.seed ?? 21);
  const docs = await mapLimit(range(options.documents), 16, () => target.createDocument(initialContent()));
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const typists: Writer[] = [];
  const watchers: Watcher[] = [];
  // Per watcher: its document, and the first arrival of each newer version (so versions ascend).
  const watcherDoc: number[] = [];
  const arrivals: Array<{ versions: number[]; at: number[] }> = [];
  let stopped = false;
  try {
    typists.push(...(await mapLimit(range(options.documents * typistsPer), 32, (i) => target.openWriter(docs[i % docs.length]!, { presence }))));
    watchers.push(
      ...(await mapLimit(range(options.documents * watchersPer), 50, (i) => {
        const d = i % docs.length;
        const mine = { versions: [] as number[], at: [] as number[] };
        watcherDoc[i] = d;
        arrivals[i] = mine;
        return target.openWatcher(
          docs[d]!,
          (version) => {
            if (version > (mine.versions.at(-1) ?? 0)) {
              mine.versions.push(version);
              mine.at.push(performance.now());
            }
          },
          { presence },
        );
      })),
    );
    const seen = (w: number) => arrivals[w]!.versions.at(-1) ?? 0;

    // Proof that every watcher is live (ours has no "subscribed" message):
    // one keystroke per document, seen by both of its watchers.
    const probed = await mapLimit(range(docs.length), 32, async (d) => {
      const t = typists[d]!;
      return t.editAcked([{ retain: t.length() - 1 }, { insert: '.' }]);
    });
    if (!(await waitFor(() => watcherDoc.every((d, w) => seen(w) >= probed[d]!), 60_000))) throw new Error('watchers did not all receive the probe keystroke');

    const typed: Array<{ doc: number; at: number; ackedAt: number; version: number }> = [];
    const start = performance.now() + options.warmupMs;
    const end = start + options.measureMs;
    const monotonicUs = Number(process.hrtime.bigint() / 1000n) + (start - performance.now()) * 1000;
    let cpuStart = 0;
    let seenAtStart = 0;
    const atStart = sleep(options.warmupMs).then(() => {
      cpuStart = target.servers.reduce((sum, s) => sum + s.cpuSeconds(), 0);
      seenAtStart = watcherDoc.reduce((sum, d, w) => sum + (w < docs.length ? seen(w) : 0), 0);
      loopDelay.enable();
    });

    // Each typist starts at its own place (a quarter, half, three quarters
    // into the text), at a random moment of its first gap so that
    // keystrokes are spread over time, not in waves; then types on at its
    // caret, which the others' edits move as the editor moves it.
    const loops = typists.map(async (typist, i) => {
      const doc = i % docs.length;
      const slot = Math.floor(i / docs.length);
      let caret: number | null = null;
      typist.onRemoteEdit((change) => {
        if (caret !== null) caret = change.transformPosition(caret, true);
      });
      let next = performance.now() + rand() * maxGap;
      for (let k = 0; next < end && !stopped; k++) {
        await sleep(Math.max(0, next - performance.now()));
        const at = performance.now();
        // Before the document's last newline, which every edit keeps.
        const index = Math.max(0, Math.min(typist.length() - 1, caret ?? Math.floor((typist.length() * (slot + 1)) / (typistsPer + 1))));
        caret = index + 1;
        const entry = { doc, at, ackedAt: NaN, version: NaN };
        typist
          .editAcked([{ retain: index }, { insert: LETTERS[(k + i) % LETTERS.length]! }])
          .then((version) => {
            entry.ackedAt = performance.now();
            entry.version = version;
          })
          .catch(() => {});
        if (presence) typist.setCursor(index + 1);
        if (at >= start && at < end) typed.push(entry);
        next += minGap + rand() * (maxGap - minGap);
      }
    });
    await sleep(Math.max(0, end - performance.now()));
    await atStart;
    const cpuEnd = target.servers.reduce((sum, s) => sum + s.cpuSeconds(), 0);
    const seenAtEnd = watcherDoc.reduce((sum, d, w) => sum + (w < docs.length ? seen(w) : 0), 0);
    const windowS = (performance.now() - start) / 1000;
    loopDelay.disable();
    stopped = true;
    await Promise.all(loops);

    // A server far behind may not answer within the wait: what is missing
    // then counts as late as the wait (a lower bound), and is counted.
    await waitFor(() => typed.every((t) => !Number.isNaN(t.ackedAt)), 30_000, 20);
    const lastOf = new Map<number, number>();
    for (const t of typed) if (!Number.isNaN(t.version)) lastOf.set(t.doc, Math.max(lastOf.get(t.doc) ?? 0, t.version));
    await waitFor(() => watcherDoc.every((d, w) => seen(w) >= (lastOf.get(d) ?? 0)), 30_000, 20);
    const gaveUpAt = performance.now();

    const byDoc = new Map<number, number[]>();
    watcherDoc.forEach((d, w) => byDoc.set(d, [...(byDoc.get(d) ?? []), w]));
    const ack = new Samples();
    const remote = new Samples();
    let unacked = 0;
    let undelivered = 0;
    for (const t of typed) {
      if (Number.isNaN(t.ackedAt)) unacked++;
      ack.push((Number.isNaN(t.ackedAt) ? gaveUpAt : t.ackedAt) - t.at);
      for (const w of byDoc.get(t.doc) ?? []) {
        const arrival = Number.isNaN(t.version) ? -1 : firstAtLeast(arrivals[w]!.versions, t.version);
        if (arrival < 0) undelivered++;
        remote.push((arrival < 0 ? gaveUpAt : arrivals[w]!.at[arrival]!) - t.at);
      }
    }
    const committed = seenAtEnd - seenAtStart;
    return {
      window: { startUs: monotonicUs, endUs: monotonicUs + options.measureMs * 1000 },
      documents: options.documents,
      keystrokes: typed.length,
      ack: { p50: ack.percentile(50), p99: ack.percentile(99) },
      remote: { p50: remote.percentile(50), p99: remote.percentile(99) },
      opsPerSec: committed / windowS,
      cpuPerOpUs: committed > 0 ? ((cpuEnd - cpuStart) * 1e6) / committed : NaN,
      serverCores: (cpuEnd - cpuStart) / windowS,
      clientLoopDelayP99: loopDelay.percentile(99) / 1e6,
      unacked,
      undelivered,
    };
  } finally {
    stopped = true;
    loopDelay.disable();
    await Promise.allSettled(watchers.map((w) => w.close()));
    await Promise.allSettled(typists.map((t) => t.close()));
  }
}

/** Index of the first entry ≥ `value` in an ascending list, or -1. */
function firstAtLeast(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length ? lo : -1;
}

export interface SearchOptions {
  /** The first N tried. */
  startAt: number;
  /** At most this many probes (each a fresh server). */
  probes: number;
  /** Stop bisecting once the failing N is within this factor of the passing one. @default 1.15 */
  precision?: number;
}

export interface SearchResult {
  /** The largest N that met both targets (0 if even 1 did not). */
  largest: number;
  /** The probe at `largest` (null if none passed). */
  atLargest: DocumentsResult | null;
  /** Every probe, in order, with whether it met the targets. */
  probes: Array<{ documents: number; passed: boolean; result: DocumentsResult }>;
}

/**
 * The largest N that meets the targets: doubling from `startAt` until a
 * probe fails (halving instead if the first fails), then bisection between
 * the last pass and the first failure, within `probes` probes. Latency
 * rises with load, so "passes" is taken as monotonic in N; a noisy probe
 * can make the answer low or high by one bisection step.
 */
export async function searchLargest(probe: (documents: number) => Promise<DocumentsResult>, options: SearchOptions): Promise<SearchResult> {
  const precision = options.precision ?? 1.15;
  const probes: SearchResult['probes'] = [];
  // The largest N that passed (0: none yet) and the smallest that failed (Infinity: none yet).
  let lo = 0;
  let hi = Infinity;
  let atLo: DocumentsResult | null = null;
  let n = Math.max(1, options.startAt);
  while (probes.length < options.probes) {
    const result = await probe(n);
    const passed = meetsTargets(result);
    probes.push({ documents: n, passed, result });
    if (passed && n > lo) [lo, atLo] = [n, result];
    if (!passed) hi = Math.min(hi, n);
    if (hi === Infinity) n = lo * 2;
    else if (lo === 0) {
      if (hi === 1) break;
      n = Math.floor(hi / 2);
    } else {
      if (hi <= lo * precision || hi - lo <= 1) break;
      n = Math.floor((lo + hi) / 2);
    }
  }
  return { largest: lo, atLargest: atLo, probes };
}
