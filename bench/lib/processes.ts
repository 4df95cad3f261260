// The servers under test, started as their users start them: one Node
// process each, on a free port, talking over real HTTP and WebSockets.
// Ours is `npm start`'s entry point with its flags (node api/src/main.ts);
// ShareDB is bench/sharedb-server.ts, started the same way, so both sides
// pay the same process, loader and loopback costs.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** What gc-on-signal.mjs reports after a full GC: process.memoryUsage(), and the part of heapUsed that is compiled code. */
export type ServerMemory = NodeJS.MemoryUsage & { code: number };

export interface ServerProcess {
  /** http://127.0.0.1:port */
  url: string;
  pid: number;
  /** Resident set size now, bytes (from /proc). */
  rss(): number;
  /** CPU time the process has used so far (user + system), seconds (from /proc). */
  cpuSeconds(): number;
  /** CPU time its threads (or its main thread: JavaScript, where requests are served) have run so far, ns (from /proc: fine enough for one request; see cpuNanosOf). */
  cpuNanos(threads?: 'all' | 'main'): number;
  /** A full GC in the server (needs StartOptions.gcOnSignal); resolves with its memory usage right after (null without gcOnSignal). */
  collect(): Promise<ServerMemory | null>;
  /** SIGTERM and wait for the exit (a --cpu-prof profile is written then). */
  stop(): Promise<void>;
  /** Rejects if the process exits before stop() is called. */
  died: Promise<never>;
}

export interface StartOptions {
  env: Record<string, string>;
  /** Extra node flags, e.g. ['--cpu-prof', '--cpu-prof-dir', dir]. */
  nodeArgs?: string[];
  /** Preload bench/lib/gc-on-signal.mjs (memory measurements). */
  gcOnSignal?: boolean;
}

/** Resident set size of a process, bytes. */
export function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

/** User + system CPU time of a process, seconds (/proc/<pid>/stat, in clock ticks of 1/100 s). */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Time on a CPU of every live thread of a process, ns: the sum of the first
 * field of /proc/<pid>/task/<tid>/schedstat. /proc/<pid>/stat counts in ticks
 * of 10 ms, too coarse for one request of a few ms; this is read from
 * outside, so measuring costs the process nothing. (A thread that has exited
 * takes its time with it; a node's threads live as long as it does.) The
 * main thread alone (its tid is the pid) leaves out V8's compiler and GC
 * helper threads.
 */
export function cpuNanosOf(pid: number, threads: 'all' | 'main' = 'all'): number {
  let sum = 0;
  for (const tid of threads === 'main' ? [String(pid)] : readdirSync(`/proc/${pid}/task`)) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return sum;
}

/** Resolves with the first output line matching `pattern`; rejects if the process exits first. */
function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    const readers = [child.stdout, child.stderr].filter((s) => s !== null).map((s) => createInterface({ input: s! }));
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 40) tail.shift();
      const match = pattern.exec(line);
      if (match) {
        cleanup();
        resolve(match);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`${what} exited (${code}) before it was ready:\n${tail.join('\n')}`));
    };
    for (const r of readers) r.on('line', onLine);
    child.once('exit', onExit);
    const cleanup = () => {
      for (const r of readers) r.off('line', onLine);
      child.off('exit', onExit);
      // Keep the pipes flowing so a chatty server never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
    };
  });
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));

function withoutServiceUrls(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const { DATABASE_URL: _d, REDIS_URL: _r, REDIS_CLUSTER_NODES: _c, REDIS_PREFIX: _p, AUTH_SECRET: _a, ...rest } = env;
  return rest;
}

async function start(script: string, ready: RegExp, what: string, options: StartOptions): Promise<ServerProcess> {
  const gcArgs = options.gcOnSignal ? ['--expose-gc', '--import', './bench/lib/gc-on-signal.mjs'] : [];
  // A slower disk for the node's own fsyncs (embedded PGlite's; slow-disk.mjs).
  const diskArgs = Number(process.env.BENCH_FSYNC_DELAY_MS) > 0 ? ['--import', './bench/lib/slow-disk.mjs'] : [];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...gcArgs, ...diskArgs, script], {
    cwd: ROOT,
    // The bench's own DATABASE_URL/REDIS_URL (CI exports them) must not turn
    // an embedded node into a scaled one: each node gets only what its row sets.
    env: { ...withoutServiceUrls(process.env), PORT: '0', HOST: '127.0.0.1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let match: RegExpExecArray;
  try {
    match = await waitForLine(child, ready, what);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const pid = child.pid!;
  let stopping = false;
  // BENCH_SERVER_LOGS=1 shows what the servers print (LOG_LEVEL=warn on ours).
  if (process.env.BENCH_SERVER_LOGS) for (const s of [child.stdout, child.stderr]) s?.on('data', (d: Buffer) => process.stderr.write(`[${what} ${child.pid}] ${d}`));
  // The last lines it wrote to stderr, for the error if it dies.
  const tail: string[] = [];
  const memoryWaiters: Array<(usage: ServerMemory) => void> = [];
  if (child.stderr) {
    createInterface({ input: child.stderr }).on('line', (line) => {
      if (line.startsWith('BENCH_MEMORY ')) {
        const usage = JSON.parse(line.slice('BENCH_MEMORY '.length)) as ServerMemory;
        for (const resolve of memoryWaiters.splice(0)) resolve(usage);
      } else if (tail.push(line) > 20) tail.shift();
    });
  }
  const died = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) => {
      if (!stopping) reject(new Error(`${what} (pid ${pid}) exited unexpectedly (${signal ?? code}):\n${tail.join('\n')}`));
    }),
  );
  died.catch(() => {}); // observed by whoever races it
  return {
    died,
    url: match[1]!.replace('localhost', '127.0.0.1'),
    pid,
    rss: () => rssOf(pid),
    cpuSeconds: () => cpuSecondsOf(pid),
    cpuNanos: (threads) => cpuNanosOf(pid, threads),
    async collect() {
      if (!options.gcOnSignal) return null;
      const usage = new Promise<ServerMemory>((resolve) => memoryWaiters.push(resolve));
      child.kill('SIGUSR2');
      return Promise.race([usage, died]);
    },
    async stop() {
      stopping = true;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited(child);
      clearTimeout(timer);
    },
  };
}

/** Node's own flags in `npm start` (package.json), which the bench's node runs with as users run it. */
export function startFlags(): string[] {
  const start = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  return start.split(/\s+/).filter((word) => word.startsWith('--'));
}

/** Our api node; `env` picks the mode (DATA_DIR only = embedded; DATABASE_URL + REDIS_URL = scaled). */
export function startOurNode(options: StartOptions): Promise<ServerProcess> {
  // main.ts prints the URL on stdout whatever LOG_LEVEL says.
  return start('api/src/main.ts', /web client\s+(http:\/\/\S+?)\/?$/, 'api node', { ...options, nodeArgs: [...startFlags(), ...(options.nodeArgs ?? [])] });
}

/** bench/sharedb-server.ts; env SHAREDB_DB = memory | a PostgreSQL URL, SHAREDB_REDIS = a Redis URL or unset. */
export function startShareDbServer(options: StartOptions): Promise<ServerProcess> {
  return start('bench/sharedb-server.ts', /^sharedb listening (http:\/\/\S+)$/, 'sharedb server', options);
}
