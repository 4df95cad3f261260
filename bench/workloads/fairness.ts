// Fairness: big machine-made edits must not slow people down (issue 19
// item 7). Agents rewrite 400 KB blocks in a loop, each in its own document
// and some in the document where a person types; the person types at human
// speed through the real client, and a watcher (another person's screen)
// notes when each version arrives.
//
// Measured over a window after a warm-up:
// - person's ack: keystroke -> acknowledged (ours: the op back on the
//   person's stream; ShareDB: the submit callback). The person keeps one op
//   in flight and composes keystrokes meanwhile, as the editor does; a
//   keystroke typed while one is in flight goes out, and is acknowledged,
//   with the next op.
// - remote keystroke: keystroke -> the version that acknowledged it arrives
//   at the watcher (an upper bound: that version may hold later keystrokes).
// - agents' edits committed per second, and the server's CPU per agent edit.
// Keystrokes go out on a fixed schedule (not after the previous ack), so a
// stalled server shows up in the latencies instead of slowing the person.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { AgentCounts, AgentsSpec } from '../lib/agents.ts';
import { initialContent } from '../lib/edits.ts';
import { mapLimit, range, Samples, sleep, waitFor } from '../lib/stats.ts';
import type { Target, Watcher } from '../lib/targets.ts';
import type { Writer } from '../lib/ours.ts';

export interface FairnessOptions {
  /** Agents each writing into a document of their own. */
  soloAgents: number;
  /** Agents writing into the person's document. */
  sharedAgents: number;
  /** Characters (ASCII: bytes) each agent edit inserts, replacing as many. */
  blockChars: number;
  /** Milliseconds between the person's keystrokes. */
  keystrokeMs: number;
  warmupMs: number;
  measureMs: number;
}

export interface FairnessResult {
  /** The measurement window on the monotonic clock, microseconds (as V8 CPU profiles time their samples). */
  window: { startUs: number; endUs: number };
  keystrokes: number;
  ack: { p50: number; p95: number; max: number };
  remote: { p50: number; p95: number; max: number };
  agentEditsPerSec: number;
  /** Server CPU time over the window per agent edit committed in it, microseconds. */
  serverCpuPerAgentEditUs: number;
  /** Server CPU over the window, share of one core. */
  serverCores: number;
  agentErrors: number;
  /** Keystrokes the watcher had not seen 30 s after the window (counted as that late). */
  remoteUndelivered: number;
  /** The bench's main thread (the person's and the watcher's clients): its event-loop delay p99 over the run, ms. A high figure means the clients, not the server, were late. */
  clientLoopDelayP99: number;
}

function startWorker(spec: AgentsSpec): { worker: Worker; ready: Promise<void>; ask(message: 'counts' | 'stop'): Promise<AgentCounts> } {
  const worker = new Worker(new URL('../lib/agents-worker.ts', import.meta.url), { workerData: spec });
  const waiting: Array<(counts: AgentCounts) => void> = [];
  let failed: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    failed = reject;
    worker.on('message', (m: { type: string; counts?: AgentCounts }) => {
      if (m.type === 'ready') resolve();
      else waiting.shift()?.(m.counts!);
    });
  });
  worker.on('error', (error) => failed(error));
  return {
    worker,
    ready,
    ask(message) {
      const reply = new Promise<AgentCounts>((resolve) => waiting.push(resolve));
      worker.postMessage(message);
      return reply;
    },
  };
}

const LETTERS = 'etaoin shrdlu';

export async function fairness(target: Target, options: FairnessOptions): Promise<FairnessResult> {
  const shared = await target.createDocument(initialContent());
  const solo = await mapLimit(range(options.soloAgents), 8, () => target.createDocument(initialContent()));
  const spec: AgentsSpec = {
    system: target.system,
    url: target.server.url,
    token: await target.agentToken(),
    blockChars: options.blockChars,
    agents: [...solo.map((documentId) => ({ documentId, slot: 0 })), ...range(options.sharedAgents).map((slot) => ({ documentId: shared, slot }))],
  };
  const agents = startWorker(spec);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  let person: Writer | null = null;
  let watcher: Watcher | null = null;
  try {
    await agents.ready;
    // The watcher's arrivals: the first time each version (or a later one) was seen.
    const arrivals: Array<{ version: number; at: number }> = [];
    let seen = 0;
    watcher = await target.openWatcher(shared, (version) => {
      if (version > seen) {
        seen = version;
        arrivals.push({ version, at: performance.now() });
      }
    });
    person = await target.openWriter(shared);
    const typist = person;

    const start = performance.now() + options.warmupMs;
    const end = start + options.measureMs;
    const monotonicUs = Number(process.hrtime.bigint() / 1000n) + (start - performance.now()) * 1000;
    const window = { startUs: monotonicUs, endUs: monotonicUs + options.measureMs * 1000 };
    const typed: Array<{ at: number; version: Promise<number>; ackedAt: number }> = [];
    let measuring: { counts: AgentCounts; cpu: number } | null = null;
    const countsAtStart = sleep(options.warmupMs).then(async () => (measuring = { counts: await agents.ask('counts'), cpu: target.server.cpuSeconds() }));
    // Keystrokes on a fixed schedule: at the end of the person's text (before the final newline).
    for (let k = 0, next = performance.now(); next < end; k++, next += options.keystrokeMs) {
      await sleep(Math.max(0, next - performance.now()));
      const at = performance.now();
      const entry = { at, version: typist.editAcked([{ retain: typist.length() - 1 }, { insert: LETTERS[k % LETTERS.length]! }]), ackedAt: NaN };
      entry.version.then(() => (entry.ackedAt = performance.now()), () => {});
      if (at >= start) typed.push(entry);
    }
    await countsAtStart;
    const cpuEnd = target.server.cpuSeconds();
    const countsEnd = await agents.ask('counts');
    const windowS = (performance.now() - start) / 1000;
    const versions = await Promise.all(typed.map((t) => t.version));
    const last = Math.max(...versions);
    // A server far behind may not deliver within the wait: those keystrokes
    // count as late as the wait (a lower bound), and the result says how many.
    await waitFor(() => seen >= last, 30_000);
    const gaveUpAt = performance.now();

    let remoteUndelivered = 0;
    const ack = new Samples();
    const remote = new Samples();
    typed.forEach((t, i) => {
      ack.push(t.ackedAt - t.at);
      const arrival = arrivals.find((a) => a.version >= versions[i]!);
      if (!arrival) remoteUndelivered++;
      remote.push((arrival?.at ?? gaveUpAt) - t.at);
    });
    const begin = measuring!;
    const agentEdits = countsEnd.acked - begin.counts.acked;
    if (countsEnd.firstError) console.error(`[bench] fairness ${target.system}: agent errors ${countsEnd.errors}, first: ${countsEnd.firstError.slice(0, 300)}`);
    return {
      window,
      keystrokes: typed.length,
      ack: { p50: ack.percentile(50), p95: ack.percentile(95), max: ack.percentile(100) },
      remote: { p50: remote.percentile(50), p95: remote.percentile(95), max: remote.percentile(100) },
      agentEditsPerSec: agentEdits / windowS,
      serverCpuPerAgentEditUs: agentEdits > 0 ? ((cpuEnd - begin.cpu) * 1e6) / agentEdits : NaN,
      serverCores: (cpuEnd - begin.cpu) / windowS,
      agentErrors: countsEnd.errors,
      remoteUndelivered,
      clientLoopDelayP99: loopDelay.percentile(99) / 1e6,
    };
  } finally {
    loopDelay.disable();
    // A thread that failed at setup answers nothing: do not wait for it long.
    await Promise.race([agents.ask('stop'), sleep(30_000)]).catch(() => {});
    await agents.worker.terminate();
    await person?.close().catch(() => {});
    await watcher?.close().catch(() => {});
  }
}
