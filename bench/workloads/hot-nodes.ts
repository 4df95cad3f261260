// The hot document written through several of our nodes, measured beside
// the same load on one node (issue 20 item 2): the same edit load as the
// hot-document row (edit-load.ts), with writers and watchers spread over
// the nodes round robin (targets.ts, LaunchOptions.nodes). Besides the
// load's figures: each node's CPU per committed op (from /proc, over the
// measurement window) and what the nodes' /metrics say about commits
// (lost races, ops per commit).
import { readFileSync } from 'node:fs';
import type { ServerProcess } from '../lib/processes.ts';
import type { Target } from '../lib/targets.ts';
import { editLoad, type LoadOptions, type LoadResult } from './edit-load.ts';

export interface NodesResult {
  load: LoadResult;
  /** CPU (user + system) of each node over the window, microseconds per committed op. */
  cpuUsPerOp: number[];
  /** Commits re-planned after a lost race, per second, all nodes together. */
  retriesPerSec: number;
  /** Committed ops per commit (statement), all nodes together. */
  opsPerCommit: number;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux). */
const TICKS = 100;

/** CPU time of a process so far, microseconds (user + system). */
export function cpuUs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces: state is field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1e6) / TICKS;
}

async function commitCounters(server: ServerProcess, token: string): Promise<{ retries: number; batches: number; ops: number }> {
  const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${token}` } })).text();
  const value = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(name + ' ') || l.startsWith(name + '{'));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };
  return { retries: value('collab_commit_retries_total'), batches: value('collab_commit_batch_size_count'), ops: value('collab_commit_batch_size_sum') };
}

export async function hotThroughNodes(target: Target, metricsToken: string, options: LoadOptions): Promise<NodesResult> {
  const servers = target.servers;
  let cpuStart: number[] = [];
  let cpuEnd: number[] = [];
  let countersStart: Promise<Array<{ retries: number; batches: number; ops: number }>> | null = null;
  let countersEnd: Promise<Array<{ retries: number; batches: number; ops: number }>> | null = null;
  const load = await editLoad(target, {
    ...options,
    sampleEveryMs: options.measureMs * 10, // only the window's edges
    onSample: (elapsed) => {
      const cpu = servers.map((s) => cpuUs(s.pid));
      const counters = Promise.all(servers.map((s) => commitCounters(s, metricsToken)));
      if (elapsed === 0) {
        cpuStart = cpu;
        countersStart = counters;
      } else if (elapsed >= options.measureMs) {
        cpuEnd = cpu;
        countersEnd = counters;
      }
    },
  });
  const seconds = options.measureMs / 1000;
  const before = (await countersStart) ?? [];
  const after = (await countersEnd) ?? [];
  const delta = (k: 'retries' | 'batches' | 'ops') => after.reduce((sum, c, i) => sum + c[k] - (before[i]?.[k] ?? 0), 0);
  return {
    load,
    cpuUsPerOp: servers.map((_, i) => (cpuEnd[i]! - cpuStart[i]!) / Math.max(1, load.committed)),
    retriesPerSec: delta('retries') / seconds,
    opsPerCommit: delta('ops') / Math.max(1, delta('batches')),
  };
}
