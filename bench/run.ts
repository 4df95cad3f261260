// npm run bench [-- --quick | --tiny] [-- --only hot,nodes,many,trace,cold,memory,steady,fair,docs] [-- --modes embedded,scaled] [-- --repeat N] [-- --compare-race] [-- --connections 5000,19500] [-- --writers 1 --watchers 100] [-- --steady-seconds 600]
//
// Runs every workload against our product and against ShareDB, one after
// the other (alternating which goes first), each on a freshly started
// server process with fresh storage, and prints one Markdown table. The
// last line is `ratio vs sharedb: X`: our committed ops/s over ShareDB's
// on the hot document with 32 writers (scaled vs ShareDB + PostgreSQL when
// PostgreSQL and Redis are reachable, else embedded vs ShareDB's memory db).
// A full run (no options) also rewrites bench/RESULTS.md.
//
// `nodes` compares ours with ours: the hot document written through two
// nodes against one node, side by side (scaled only), in a table of its own.
import { execSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadTrace } from './lib/edits.ts';
import { ROOT } from './lib/processes.ts';
import { advantage, loadAverage, machine, machineLine, table, type Row } from './lib/report.ts';
import { probeServices } from './lib/services.ts';
import { launch, type LaunchOptions, type Mode, type SystemName, type Target } from './lib/targets.ts';
import { coldOpen, historyOf } from './workloads/cold-open.ts';
import { documentsPerNode, searchLargest, TARGETS, type DocumentsResult, type SearchResult } from './workloads/documents-per-node.ts';
import { editLoad } from './workloads/edit-load.ts';
import { fairness } from './workloads/fairness.ts';
import { hotThroughNodes, type NodesResult } from './workloads/hot-nodes.ts';
import { addedPerConnection, idleConnections, medianOfRuns, steadyLoad, type IdleResult, type SteadyResult } from './workloads/memory.ts';
import { typeTrace } from './workloads/trace.ts';

export const WORKLOADS = ['hot', 'nodes', 'many', 'trace', 'cold', 'memory', 'steady', 'fair', 'docs'] as const;
export type Workload = (typeof WORKLOADS)[number];

export interface BenchOptions {
  quick: boolean;
  only: readonly Workload[];
  modes: readonly Mode[] | null;
  /** Smaller still, for the smoke test. */
  tiny?: boolean;
  /** How many times the `nodes` rows run (alternating which node count goes first). @default 1 */
  repeat?: number;
  /** `nodes` also runs 2 nodes with SHARED_WRITES=race (commits race and retry), the way before the lock. */
  compareRace?: boolean;
  /**
   * `memory`: the connection counts to measure at, in place of the size's own
   * (e.g. 5000,19500; one process may hold 20,000 files here, so ~19,500
   * sockets is the most a node or the bench can open).
   */
  connections?: readonly number[];
  /** `hot`: only these writer counts (e.g. 1), in place of the size's own. */
  writers?: readonly number[];
  /** `hot`: only these watcher counts (e.g. 100 or 0), in place of the size's own. */
  watchers?: readonly number[];
  /** `steady`: the window's length, seconds, in place of the size's own (e.g. 600 for a 10-minute soak). */
  steadySeconds?: number;
  log?: (line: string) => void;
}

export interface BenchOutput {
  rows: Row[];
  text: string;
  ratio: number;
  failures: string[];
}

const MODE_LABEL: Record<Mode, string> = { embedded: 'embedded vs memory', scaled: 'PG+Redis vs sharedb-postgres+redis' };

export async function runBench(options: BenchOptions): Promise<BenchOutput> {
  const log = options.log ?? ((line: string) => console.error(line));
  const services = await probeServices();
  const modes = (options.modes ?? ['embedded', 'scaled']).filter((m) => m === 'embedded' || services);
  if (!services) log('[bench] PostgreSQL or Redis not reachable: scaled rows skipped');
  // Single-mode workloads run in the mode that decides the ratio.
  const primary: Mode = modes.includes('scaled') ? 'scaled' : 'embedded';
  const info = machine(services);
  const rows: Row[] = [];
  const nodeRows: NodeRow[] = [];
  const failures: string[] = [];
  const size = options.tiny ? 'tiny' : options.quick ? 'quick' : 'full';
  const timing = { tiny: { warmupMs: 300, measureMs: 1_000 }, quick: { warmupMs: 1_000, measureMs: 3_000 }, full: { warmupMs: 3_000, measureMs: 10_000 } }[size];
  let turn = 0;

  /** Runs `fn` on each system in `mode` (fresh server each), alternating which goes first. */
  async function pair<T>(label: string, mode: Mode, fn: (target: Target) => Promise<T>, launchOptions: LaunchOptions = {}): Promise<Record<SystemName, T> | null> {
    const order: SystemName[] = turn++ % 2 === 0 ? ['ours', 'sharedb'] : ['sharedb', 'ours'];
    const out: Partial<Record<SystemName, T>> = {};
    for (const system of order) {
      const started = performance.now();
      let target: Target | null = null;
      try {
        target = await launch(system, mode, services, launchOptions);
        // A server that dies mid-run fails the row instead of leaving the run waiting.
        out[system] = await Promise.race([fn(target), target.server.died]);
        log(`[bench] ${label} (${mode}) ${system}: ${JSON.stringify(out[system])} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      } catch (error) {
        const message = `${label} (${mode}) ${system}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`;
        failures.push(message);
        log(`[bench] FAILED ${message}`);
      } finally {
        await target?.dispose().catch((error: unknown) => log(`[bench] dispose failed: ${String(error)}`));
      }
    }
    return out.ours !== undefined && out.sharedb !== undefined ? (out as Record<SystemName, T>) : null;
  }

  const wants = (w: Workload) => options.only.includes(w);

  if (wants('hot')) {
    const writerCounts = options.writers ? [...options.writers] : options.tiny ? [2] : options.quick ? [32] : [1, 8, 32];
    const watchers = options.tiny ? 3 : 100;
    // With 100 watchers (the issue's workload), then, in a full run, the
    // writers alone: how the issue's reference figures for ShareDB were taken.
    const watcherCounts = options.watchers ? [...options.watchers] : options.tiny || options.quick ? [watchers] : [watchers, 0];
    const configurations = watcherCounts.flatMap((watching) => writerCounts.map((writers) => ({ watching, writers })));
    for (const mode of modes) {
      for (const { watching, writers } of configurations) {
        const label = `hot document, ${writers} writer${writers > 1 ? 's' : ''}${watching > 0 ? ` + ${watching} watchers` : ', no watchers'} (${MODE_LABEL[mode]})`;
        const r = await pair(label, mode, (t) => editLoad(t, { documents: 1, writersPerDocument: writers, watchers: watching, ...timing }));
        if (!r) continue;
        const hotKey = writers === writerCounts.at(-1) && watching === watchers ? `hot:${mode}` : '';
        rows.push({ workload: label, metric: 'committed', better: 'higher', unit: 'ops/s', ours: r.ours.opsPerSec, sharedb: r.sharedb.opsPerSec, ...(hotKey && { key: hotKey }) });
        rows.push({ workload: label, metric: 'ack p50', better: 'lower', unit: 'ms', ours: r.ours.ack.p50, sharedb: r.sharedb.ack.p50 });
        rows.push({ workload: label, metric: 'ack p99', better: 'lower', unit: 'ms', ours: r.ours.ack.p99, sharedb: r.sharedb.ack.p99 });
        if (watching === 0) continue;
        rows.push({ workload: label, metric: 'fan-out p50', better: 'lower', unit: 'ms', ours: r.ours.fanout.p50, sharedb: r.sharedb.fanout.p50 });
        rows.push({ workload: label, metric: 'fan-out p99', better: 'lower', unit: 'ms', ours: r.ours.fanout.p99, sharedb: r.sharedb.fanout.p99 });
      }
    }
  }

  if (wants('nodes') && services) {
    // Ours against ours: the same load through 2 nodes and through 1, one
    // after the other (alternating which goes first), `repeat` times.
    const writerCounts = options.tiny ? [2] : [8, 32];
    const watching = options.tiny ? 3 : 100;
    const metricsToken = randomBytes(16).toString('hex');
    for (const [w, writers] of writerCounts.entries()) {
      const label = `hot document, ${writers} writers + ${watching} watchers (PG+Redis)`;
      for (let round = 0; round < (options.repeat ?? 1); round++) {
        type Setup = { key: string; nodes: number; env: Record<string, string> };
        const setups: Setup[] = [{ key: '2', nodes: 2, env: {} }, { key: '1', nodes: 1, env: {} }, ...(options.compareRace ? [{ key: 'race', nodes: 2, env: { SHARED_WRITES: 'race' } }] : [])];
        const order = (w + round) % 2 === 0 ? setups : [...setups].reverse();
        const out = new Map<string, NodesResult>();
        for (const { key, nodes, env } of order) {
          let target: Target | null = null;
          try {
            target = await launch('ours', 'scaled', services, { nodes, metricsToken, env });
            const result = await Promise.race([hotThroughNodes(target, metricsToken, { documents: 1, writersPerDocument: writers, watchers: watching, ...timing }), ...target.servers.map((s) => s.died)]);
            out.set(key, result);
            log(`[bench] ${label} through ${nodes} node(s)${env.SHARED_WRITES ? ` (SHARED_WRITES=${env.SHARED_WRITES})` : ''}: ${JSON.stringify({ opsPerSec: result.load.opsPerSec, ack: result.load.ack, cpuUsPerOp: result.cpuUsPerOp.map(Math.round), retriesPerSec: result.retriesPerSec, opsPerCommit: result.opsPerCommit })}`);
          } catch (error) {
            const message = `${label} through ${nodes} node(s): ${error instanceof Error ? error.stack ?? error.message : String(error)}`;
            failures.push(message);
            log(`[bench] FAILED ${message}`);
          } finally {
            await target?.dispose().catch((error: unknown) => log(`[bench] dispose failed: ${String(error)}`));
          }
        }
        const two = out.get('2');
        const one = out.get('1');
        if (two && one) nodeRows.push(...nodeRowsOf(`${label}${(options.repeat ?? 1) > 1 ? `, round ${round + 1}` : ''}`, two, one, out.get('race')));
      }
    }
  }

  if (wants('many')) {
    const documents = options.tiny ? 3 : options.quick ? 30 : 200;
    for (const mode of options.quick || options.tiny ? [primary] : modes) {
      const label = `${documents} documents × 2 writers (${MODE_LABEL[mode]})`;
      const r = await pair(label, mode, (t) => editLoad(t, { documents, writersPerDocument: 2, watchers: 0, ...timing }));
      if (!r) continue;
      rows.push({ workload: label, metric: 'committed', better: 'higher', unit: 'ops/s', ours: r.ours.opsPerSec, sharedb: r.sharedb.opsPerSec });
      rows.push({ workload: label, metric: 'ack p50', better: 'lower', unit: 'ms', ours: r.ours.ack.p50, sharedb: r.sharedb.ack.p50 });
      rows.push({ workload: label, metric: 'ack p99', better: 'lower', unit: 'ms', ours: r.ours.ack.p99, sharedb: r.sharedb.ack.p99 });
    }
  }

  if (wants('trace')) {
    const files = options.quick || options.tiny ? ['automerge-paper.json.gz'] : ['automerge-paper.json.gz', 'seph-blog1.json.gz'];
    const limit = options.tiny ? 300 : options.quick ? 20_000 : undefined;
    for (const file of files) {
      const trace = loadTrace(file, limit);
      const prefix = limit !== undefined && limit < trace.totalEdits ? ` (first ${trace.edits.length.toLocaleString('en-US')} of ${trace.totalEdits.toLocaleString('en-US')} edits)` : ` (${trace.edits.length.toLocaleString('en-US')} edits)`;
      for (const mode of options.quick || options.tiny ? [primary] : modes) {
        const label = `typing ${trace.name}${prefix} (${MODE_LABEL[mode]})`;
        const r = await pair(label, mode, (t) => typeTrace(t, trace));
        if (!r) continue;
        rows.push({ workload: label, metric: 'wall time', better: 'lower', unit: 's', ours: r.ours.wallMs / 1000, sharedb: r.sharedb.wallMs / 1000 });
        rows.push({ workload: label, metric: 'versions created', better: 'lower', unit: 'count', ours: r.ours.versions, sharedb: r.sharedb.versions });
      }
    }
  }

  if (wants('cold')) {
    const ops = options.tiny ? 500 : options.quick ? 5_000 : 100_000;
    const documents = options.tiny || options.quick ? 1 : 3;
    const trace = loadTrace('automerge-paper.json.gz', ops);
    const history = historyOf(trace.edits, ops);
    for (const mode of options.quick || options.tiny ? [primary] : modes) {
      const label = `open a document with ${ops.toLocaleString('en-US')} ops of history (${MODE_LABEL[mode]})`;
      const r = await pair(label, mode, (t) => coldOpen(t, history, documents));
      if (!r) continue;
      rows.push({ workload: label, metric: 'cold open p50', better: 'lower', unit: 'ms', ours: r.ours.cold.p50, sharedb: r.sharedb.cold.p50 });
      rows.push({ workload: label, metric: 'warm open p50', better: 'lower', unit: 'ms', ours: r.ours.warm.p50, sharedb: r.sharedb.warm.p50 });
    }
  }

  if (wants('memory')) {
    const counts = options.connections ? [...options.connections] : (options.tiny ? [20] : options.quick ? [500] : [1_000, 5_000]);
    const label = `idle connections, one document subscription each (${MODE_LABEL[primary]})`;
    // Three runs on fresh nodes, each figure's median (medianOfRuns: one node's figure is steady, nodes differ).
    const runs: Array<Record<SystemName, IdleResult[]>> = [];
    for (let round = 0; round < (options.tiny || options.quick ? 1 : 3); round++) {
      const one = await pair(label, primary, (t) => idleConnections(t, counts), { gcOnSignal: true, keepBytecode: true });
      if (one) runs.push(one);
    }
    const r = runs.length > 0 ? { ours: medianOfRuns(runs.map((x) => x.ours)), sharedb: medianOfRuns(runs.map((x) => x.sharedb)) } : null;
    if (r) {
      counts.forEach((count, i) => {
        const at = count.toLocaleString('en-US');
        rows.push({ workload: label, metric: `RSS per connection at ${at}`, better: 'lower', unit: 'KiB', ours: r.ours[i]!.bytesPerConnection / 1024, sharedb: r.sharedb[i]!.bytesPerConnection / 1024 });
        rows.push({ workload: label, metric: `heap per connection at ${at}`, better: 'lower', unit: 'KiB', ours: r.ours[i]!.heapPerConnection / 1024, sharedb: r.sharedb[i]!.heapPerConnection / 1024 });
        // What the sockets keep, without V8's `external` (WebAssembly memory and
        // other native allocations that move by MBs whatever the sockets) nor compiled code.
        rows.push({ workload: label, metric: `JS heap + buffers per connection at ${at}`, better: 'lower', unit: 'KiB', ours: r.ours[i]!.jsPerConnection / 1024, sharedb: r.sharedb[i]!.jsPerConnection / 1024 });
      });
      // Each connection more, from the first count to the last (a scaled node's external memory falls by 4-6 MB after the baseline).
      if (counts.length > 1) {
        const added = (rs: typeof r.ours) => addedPerConnection(rs[0]!, rs.at(-1)!, 'heapPerConnection') / 1024;
        const span = `${counts[0]!.toLocaleString('en-US')} to ${counts.at(-1)!.toLocaleString('en-US')}`;
        rows.push({ workload: label, metric: `heap per connection more, ${span}`, better: 'lower', unit: 'KiB', ours: added(r.ours), sharedb: added(r.sharedb) });
      }
    }
  }

  if (wants('steady')) {
    const measureMs = options.steadySeconds !== undefined ? options.steadySeconds * 1000 : options.tiny ? 1_000 : options.quick ? 10_000 : 120_000;
    const soak = measureMs >= 300_000;
    const label = `steady load ${measureMs / 1000} s: hot document, 8 writers + 20 watchers (${MODE_LABEL[primary]})`;
    // A soak (5 min or more) also reads memory every minute, to show a trend in the log.
    const r = await pair(label, primary, (t) => steadyLoad(t, { documents: 1, writersPerDocument: 8, watchers: 20, warmupMs: timing.warmupMs, measureMs, ...(soak && { readEveryMs: 60_000 }) }), { gcOnSignal: true });
    if (r) {
      const mib = (b: number) => b / 2 ** 20;
      rows.push({ workload: label, metric: 'RSS growth', better: 'lower', unit: 'MiB', ours: mib(r.ours.growthBytes), sharedb: mib(r.sharedb.growthBytes) });
      rows.push({ workload: label, metric: 'RSS at end', better: 'lower', unit: 'MiB', ours: mib(r.ours.endRss), sharedb: mib(r.sharedb.endRss) });
      rows.push({ workload: label, metric: 'heap used after GC, after warm-up', better: 'lower', unit: 'MiB', ours: mib(r.ours.start.heapUsed), sharedb: mib(r.sharedb.start.heapUsed) });
      rows.push({ workload: label, metric: 'heap used after GC, at end', better: 'lower', unit: 'MiB', ours: mib(r.ours.end.heapUsed), sharedb: mib(r.sharedb.end.heapUsed) });
      const growth = (x: SteadyResult) => ((x.end.heapUsed - x.start.heapUsed) / x.start.heapUsed) * 100;
      rows.push({ workload: label, metric: 'heap used growth', better: 'lower', unit: '%', ours: growth(r.ours), sharedb: growth(r.sharedb) });
      // Embedded, PGlite's WebAssembly memory is most of ours; scaled has no PGlite.
      const external = primary === 'embedded' ? 'external memory after GC, at end (ours: mostly PGlite)' : 'external memory after GC, at end';
      rows.push({ workload: label, metric: external, better: 'lower', unit: 'MiB', ours: mib(r.ours.end.external), sharedb: mib(r.sharedb.end.external) });
      rows.push({ workload: label, metric: 'committed', better: 'higher', unit: 'ops/s', ours: r.ours.load.opsPerSec, sharedb: r.sharedb.load.opsPerSec });
    }
  }

  if (wants('fair')) {
    // Issue 19 item 7: 20 agents each rewriting 400 KB in their own document
    // and 5 in the document where a person types a key every 150 ms. 400 KB
    // fits the product's defaults (MAX_PAYLOAD_BYTES 1 MiB, MAX_DELTA_INSERT_BYTES
    // 1,000,000, MAX_DOCUMENT_BYTES 8 MiB: blocks are replaced, not appended); rate
    // limits are off, as in every row (with them on, a token's 20 edits/s would cap each agent).
    const fair = options.tiny
      ? { soloAgents: 2, sharedAgents: 1, blockChars: 20_000, warmupMs: 500, measureMs: 1_500 }
      : options.quick
        ? { soloAgents: 20, sharedAgents: 5, blockChars: 400_000, warmupMs: 2_000, measureMs: 10_000 }
        : { soloAgents: 20, sharedAgents: 5, blockChars: 400_000, warmupMs: 3_000, measureMs: 20_000 };
    for (const mode of options.quick || options.tiny ? [primary] : modes) {
      const kb = Math.round(fair.blockChars / 1000);
      const label = `fairness: ${fair.soloAgents} agents × ${kb} KB edits in own documents + ${fair.sharedAgents} in the person's, a keystroke every 150 ms (${MODE_LABEL[mode]})`;
      const r = await pair(label, mode, (t) => fairness(t, { ...fair, keystrokeMs: 150 }));
      if (!r) continue;
      rows.push({ workload: label, metric: "person's ack p50", better: 'lower', unit: 'ms', ours: r.ours.ack.p50, sharedb: r.sharedb.ack.p50 });
      rows.push({ workload: label, metric: "person's ack p95 (target ≤ 50)", better: 'lower', unit: 'ms', ours: r.ours.ack.p95, sharedb: r.sharedb.ack.p95 });
      rows.push({ workload: label, metric: 'remote keystroke p50', better: 'lower', unit: 'ms', ours: r.ours.remote.p50, sharedb: r.sharedb.remote.p50 });
      rows.push({ workload: label, metric: 'remote keystroke p95 (target ≤ 100)', better: 'lower', unit: 'ms', ours: r.ours.remote.p95, sharedb: r.sharedb.remote.p95 });
      rows.push({ workload: label, metric: 'agent edits committed', better: 'higher', unit: 'edits/s', ours: r.ours.agentEditsPerSec, sharedb: r.sharedb.agentEditsPerSec });
      rows.push({ workload: label, metric: 'server CPU per agent edit', better: 'lower', unit: 'µs', ours: r.ours.serverCpuPerAgentEditUs, sharedb: r.sharedb.serverCpuPerAgentEditUs });
    }
  }

  if (wants('docs')) {
    // Issue 21 item 1: the largest N documents one node holds, each with 3
    // people typing at human speed (presence on) and 2 watching, with ack
    // p99 ≤ 100 ms and remote keystroke p99 ≤ 150 ms. A search per system,
    // every probe on a fresh server; tiny runs one fixed N (no search).
    const docs = options.tiny
      ? { startAt: 2, probes: 1, warmupMs: 300, measureMs: 1_500 }
      : options.quick
        ? { startAt: 25, probes: 6, warmupMs: 2_000, measureMs: 5_000 }
        : { startAt: 50, probes: 9, warmupMs: 3_000, measureMs: 10_000 };
    const goal: Record<Mode, string> = { embedded: 'goal: ours ≥ 1.5× ShareDB', scaled: 'goal: ours ≥ 4× ShareDB' };
    for (const mode of modes) {
      const label = `documents per node: 3 typists (a key every 150-250 ms, cursors on) + 2 watchers each, ack p99 ≤ ${TARGETS.ackP99Ms} ms and remote p99 ≤ ${TARGETS.remoteP99Ms} ms, ${goal[mode]} (${MODE_LABEL[mode]})`;
      const order: SystemName[] = turn++ % 2 === 0 ? ['ours', 'sharedb'] : ['sharedb', 'ours'];
      const out: Partial<Record<SystemName, SearchResult>> = {};
      for (const system of order) {
        const started = performance.now();
        const probe = async (documents: number): Promise<DocumentsResult> => {
          const target = await launch(system, mode, services);
          try {
            const result = await Promise.race([documentsPerNode(target, { documents, warmupMs: docs.warmupMs, measureMs: docs.measureMs }), target.server.died]);
            const r = (v: number) => Math.round(v * 10) / 10;
            log(`[bench] docs (${mode}) ${system} N=${documents}: ack p99 ${r(result.ack.p99)} ms, remote p99 ${r(result.remote.p99)} ms, ${r(result.opsPerSec)} ops/s, ${Math.round(result.cpuPerOpUs)} µs CPU/op, node ${r(result.serverCores)} cores, client loop p99 ${r(result.clientLoopDelayP99)} ms, unacked ${result.unacked}, undelivered ${result.undelivered}, load ${loadAverage()}`);
            return result;
          } finally {
            await target.dispose().catch((error: unknown) => log(`[bench] dispose failed: ${String(error)}`));
          }
        };
        try {
          // Tiny: one probe at a fixed N, reported whatever it measured (the smoke test checks the plumbing, not the machine).
          out[system] = options.tiny
            ? await probe(docs.startAt).then((result) => ({ largest: docs.startAt, atLargest: result, probes: [{ documents: docs.startAt, passed: true, result }] }))
            : await searchLargest(probe, docs);
          log(`[bench] docs (${mode}) ${system}: largest N ${out[system]!.largest} after ${out[system]!.probes.map((p) => `${p.documents}${p.passed ? '✓' : '✗'}`).join(' ')} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
        } catch (error) {
          const message = `${label} ${system}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`;
          failures.push(message);
          log(`[bench] FAILED ${message}`);
        }
      }
      const ours = out.ours;
      const sharedb = out.sharedb;
      if (!ours || !sharedb) continue;
      const at = (r: SearchResult, pick: (d: DocumentsResult) => number) => (r.atLargest ? pick(r.atLargest) : NaN);
      rows.push({ workload: label, metric: 'largest N (documents) meeting both targets', better: 'higher', unit: 'count', ours: ours.largest, sharedb: sharedb.largest });
      rows.push({ workload: label, metric: 'ack p99 at that N', better: 'lower', unit: 'ms', ours: at(ours, (d) => d.ack.p99), sharedb: at(sharedb, (d) => d.ack.p99) });
      rows.push({ workload: label, metric: 'remote keystroke p99 at that N', better: 'lower', unit: 'ms', ours: at(ours, (d) => d.remote.p99), sharedb: at(sharedb, (d) => d.remote.p99) });
      rows.push({ workload: label, metric: 'node CPU per committed op at that N', better: 'lower', unit: 'µs', ours: at(ours, (d) => d.cpuPerOpUs), sharedb: at(sharedb, (d) => d.cpuPerOpUs) });
      rows.push({ workload: label, metric: "clients' event-loop delay p99 at that N (bench process, not the server)", better: 'lower', unit: 'ms', ours: at(ours, (d) => d.clientLoopDelayP99), sharedb: at(sharedb, (d) => d.clientLoopDelayP99) });
    }
  }

  info.loadAfter = loadAverage();
  const hot = rows.find((r) => r.key === `hot:${primary}`);
  const ratio = hot ? hot.ours / hot.sharedb : NaN;
  const text = [
    `## collab-graphql vs ShareDB (${size} run, ${new Date().toISOString()})`,
    '',
    machineLine(info),
    '',
    ...(rows.length > 0 ? [table(rows), ''] : []),
    ...(nodeRows.length > 0 ? ['### Hot document through 2 nodes, beside 1 node (ours only)', '', nodeTable(nodeRows), ''] : []),
  ].join('\n');
  return { rows, text, ratio, failures };
}

/** One figure of the `nodes` workload: through 2 nodes, through 1, 2 ÷ 1, and (compareRace) 2 nodes racing. */
interface NodeRow {
  workload: string;
  metric: string;
  two: string;
  one: string;
  ratio: string;
  race?: string;
  raceRatio?: string;
}

function nodeRowsOf(workload: string, two: NodesResult, one: NodesResult, race?: NodesResult): NodeRow[] {
  const n = (v: number, digits = 0) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '–');
  const cpuText = (r: NodesResult) => r.cpuUsPerOp.map((v) => n(v)).join(' + ');
  const cpuSum = (r: NodesResult) => r.cpuUsPerOp.reduce((a, b) => a + b, 0);
  const figures: Array<{ metric: string; text: (r: NodesResult) => string; value?: (r: NodesResult) => number }> = [
    { metric: 'committed (ops/s) ↑', text: (r) => n(r.load.opsPerSec), value: (r) => r.load.opsPerSec },
    { metric: 'ack p50 (ms) ↓', text: (r) => n(r.load.ack.p50, 1), value: (r) => r.load.ack.p50 },
    { metric: 'ack p99 (ms) ↓', text: (r) => n(r.load.ack.p99, 1), value: (r) => r.load.ack.p99 },
    { metric: 'fan-out p99 (ms) ↓', text: (r) => n(r.load.fanout.p99, 1), value: (r) => r.load.fanout.p99 },
    { metric: 'node CPU per op (µs, each node) ↓', text: cpuText, value: cpuSum },
    { metric: 'lost races (per s)', text: (r) => n(r.retriesPerSec, 1) },
    { metric: 'ops per commit', text: (r) => n(r.opsPerCommit, 1) },
  ];
  return figures.map(({ metric, text, value }) => ({
    workload,
    metric,
    two: text(two),
    one: text(one),
    ratio: value ? ratio(value(two), value(one)) : '',
    ...(race && { race: text(race), raceRatio: value ? ratio(value(race), value(one)) : '' }),
  }));
}

function nodeTable(rows: NodeRow[]): string {
  const race = rows.some((r) => r.race !== undefined);
  const lines = race
    ? ['| workload | metric | 2 nodes | 1 node | 2 nodes ÷ 1 node | 2 nodes, SHARED_WRITES=race | race ÷ 1 node |', '|---|---|---:|---:|---:|---:|---:|']
    : ['| workload | metric | 2 nodes | 1 node | 2 nodes ÷ 1 node |', '|---|---|---:|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.workload} | ${r.metric} | ${r.two} | ${r.one} | ${r.ratio} |${race ? ` ${r.race ?? ''} | ${r.raceRatio ?? ''} |` : ''}`);
  return lines.join('\n');
}

function parseArgs(argv: string[]): BenchOptions & { write: boolean } {
  const value = (name: string) => {
    const i = argv.findIndex((a) => a === name || a.startsWith(name + '='));
    if (i < 0) return undefined;
    const arg = argv[i]!;
    return arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : argv[i + 1];
  };
  const only = value('--only')?.split(',') ?? [...WORKLOADS];
  for (const w of only) if (!WORKLOADS.includes(w as Workload)) throw new Error(`--only: unknown workload ${w} (one of ${WORKLOADS.join(', ')})`);
  const modes = value('--modes')?.split(',') ?? null;
  for (const m of modes ?? []) if (m !== 'embedded' && m !== 'scaled') throw new Error(`--modes: unknown mode ${m}`);
  const quick = argv.includes('--quick');
  // The smoke test's sizes, from the command line too (e.g. to check one row works: `--tiny --only docs`).
  const tiny = argv.includes('--tiny');
  const repeat = Number(value('--repeat') ?? 1);
  if (!Number.isSafeInteger(repeat) || repeat < 1) throw new Error('--repeat: a positive integer');
  const connections = value('--connections')?.split(',').map(Number);
  for (const c of connections ?? []) if (!Number.isSafeInteger(c) || c < 1) throw new Error('--connections: positive integers, e.g. 5000,19500');
  const steadySeconds = value('--steady-seconds') === undefined ? undefined : Number(value('--steady-seconds'));
  if (steadySeconds !== undefined && (!Number.isSafeInteger(steadySeconds) || steadySeconds < 1)) throw new Error('--steady-seconds: a positive integer, e.g. 600');
  const counts = (name: string, min: number) => {
    const list = value(name)?.split(',').map(Number);
    for (const n of list ?? []) if (!Number.isSafeInteger(n) || n < min) throw new Error(`${name}: integers of at least ${min}, e.g. 1,8`);
    return list;
  };
  const writers = counts('--writers', 1);
  const watchers = counts('--watchers', 0);
  const partial = quick || tiny || value('--only') !== undefined || modes !== null || connections !== undefined || writers !== undefined || watchers !== undefined || steadySeconds !== undefined;
  return {
    quick,
    tiny,
    repeat,
    compareRace: argv.includes('--compare-race'),
    only: only as Workload[],
    modes: modes as Mode[] | null,
    ...(connections && { connections }),
    ...(writers && { writers }),
    ...(watchers && { watchers }),
    ...(steadySeconds !== undefined && { steadySeconds }),
    write: !partial && !argv.includes('--no-write'),
  };
}

const commit = () => {
  try {
    return execSync('git rev-parse --short HEAD', { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '?';
  }
};

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const out = await runBench(options);
  console.log(out.text);
  for (const failure of out.failures) console.log(`FAILED: ${failure.split('\n')[0]}`);
  const minutes = (performance.now() - started) / 60_000;
  if (options.write) {
    const notes = [
      `# Benchmark results`,
      '',
      `The latest full run of \`npm run bench\` (commit ${commit()}, ${minutes.toFixed(1)} min). How each figure is measured: bench/README.md.`,
      `Ratios > 1 mean ours is better. The machine was shared with other work during the run: see the load averages.`,
      '',
      out.text,
      ...(out.failures.length > 0 ? ['', 'Failures:', '', ...out.failures.map((f) => `- ${f.split('\n')[0]}`)] : []),
      '',
      `ratio vs sharedb: ${Number.isFinite(out.ratio) ? out.ratio.toFixed(2) : 'n/a'}`,
      '',
    ];
    writeFileSync(path.join(ROOT, 'bench/RESULTS.md'), notes.join('\n'));
  }
  console.error(`[bench] done in ${minutes.toFixed(1)} min`);
  console.log(`ratio vs sharedb: ${Number.isFinite(out.ratio) ? out.ratio.toFixed(2) : 'n/a'}`);
  process.exit(0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error);
    console.log('ratio vs sharedb: n/a');
    process.exit(1);
  });
}
