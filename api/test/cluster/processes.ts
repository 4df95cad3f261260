// Real processes for multi-node and fault tests: api nodes (`npm start`'s
// entry point), and private Redis and PostgreSQL servers that a test may
// kill and restart without disturbing anything else on the machine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../wait-for.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * How long a process may take to print a line a test waits for. Start-up
 * included: an api node needs 3-9 s of CPU to start (Prisma, PGlite
 * when embedded), which took 35-90 s on a two-core machine at load 25.
 */
const LINE_WAIT_MS = 120_000;

/**
 * Resolves with the first stdout/stderr line matching `pattern`; rejects if
 * the process exits first, or after `LINE_WAIT_MS` with the lines it printed.
 */
function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<string> {
  const tail: string[] = [];
  const seen = new Promise<string>((resolve, reject) => {
    const onLine = (line: string) => {
      tail.push(line);
      if (tail.length > 30) tail.shift();
      if (pattern.test(line)) {
        cleanup();
        resolve(line);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`${what} exited (${code}) before it was ready:\n${tail.join('\n')}`));
    };
    const readers = [child.stdout, child.stderr].filter((s) => s !== null).map((s) => createInterface({ input: s! }));
    for (const r of readers) r.on('line', onLine);
    child.once('exit', onExit);
    const cleanup = () => {
      for (const r of readers) r.off('line', onLine);
      child.off('exit', onExit);
    };
  });
  return waitFor(seen, { what: `${what} (pid ${child.pid}) to print a line matching ${pattern}`, timeoutMs: LINE_WAIT_MS, state: () => tail.join('\n') });
}

/** Keeps the last `size` lines a process printed (both streams), for failure messages. */
function keepTail(child: ChildProcess, size = 40): () => string[] {
  const lines: string[] = [];
  for (const s of [child.stdout, child.stderr]) {
    if (!s) continue;
    createInterface({ input: s }).on('line', (line) => {
      lines.push(line);
      if (lines.length > size) lines.shift();
    });
  }
  return () => [...lines];
}

const exited = (child: ChildProcess) =>
  child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once('exit', () => resolve()));

export interface NodeProcess {
  url: string;
  wsUrl: string;
  child: ChildProcess;
  /** SIGKILL: no graceful anything. */
  kill(): Promise<void>;
  /** SIGTERM: the graceful stop. */
  stop(): Promise<void>;
  /** Resolves on the next log line matching `pattern` (register before causing it). */
  waitForLog(pattern: RegExp): Promise<string>;
  /** The last lines the node printed. */
  logTail(): string[];
}

/** Starts an api node as `npm start` would, on a free port, and waits until it listens. */
export async function startNode(env: Record<string, string>): Promise<NodeProcess> {
  // Where Redis is comes from `env` only: CI exports both REDIS_URL and REDIS_CLUSTER_NODES, and a node takes one.
  const { REDIS_URL: _url, REDIS_CLUSTER_NODES: _nodes, ...inherited } = process.env;
  const child = spawn(process.execPath, ['api/src/main.ts'], {
    cwd: ROOT,
    env: { ...inherited, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Reading both pipes from the start also keeps them flowing, so a chatty node never blocks on a full pipe.
  const logTail = keepTail(child);
  // main.ts prints this banner whatever LOG_LEVEL says.
  const line = await waitForLine(child, /web client\s+http:\/\/\S+\//, 'api node');
  const url = /(http:\/\/\S+?)\/$/.exec(line.trim())![1]!.replace('localhost', '127.0.0.1');
  return {
    waitForLog: (pattern) => waitForLine(child, pattern, `api node ${url}`),
    logTail,
    url,
    wsUrl: url.replace(/^http/, 'ws') + '/graphql',
    child,
    async kill() {
      child.kill('SIGKILL');
      await exited(child);
    },
    async stop() {
      child.kill('SIGTERM');
      await exited(child);
    },
  };
}

export interface PrivateRedis {
  url: string;
  /** SIGSTOP: the server keeps its connections but answers nothing (until stop()). */
  freeze(): void;
  stop(): Promise<void>;
  start(): Promise<void>;
}

/** A redis-server of the test's own, on a free port, restartable on the same port. */
export async function startRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
    await waitForLine(child, /Ready to accept connections/, 'redis-server');
    child.stdout?.resume();
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    start,
    freeze() {
      child?.kill('SIGSTOP');
    },
    async stop() {
      if (!child) return;
      child.kill('SIGKILL'); // an abrupt loss, as a crash or a failover would be
      await exited(child);
      child = null;
    },
  };
}

export interface PrivatePostgres {
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

function pgBin(name: string): string {
  const versions = spawnSync('ls', ['/usr/lib/postgresql'], { encoding: 'utf8' }).stdout.trim().split('\n').sort();
  return `/usr/lib/postgresql/${versions.at(-1)}/bin/${name}`;
}

/**
 * A PostgreSQL cluster of the test's own (initdb in a temp dir). PostgreSQL
 * refuses to run as root, so as root it runs as the `postgres` user.
 */
export async function startPostgres(): Promise<PrivatePostgres> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'collab-pg-'));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const pw = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' });
    chownSync(dir, Number(pw.stdout), Number(gid.stdout));
  }
  const run = (args: string[]) => {
    const cmd = asRoot ? ['runuser', '-u', 'postgres', '--', ...args] : args;
    const result = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  };
  const data = path.join(dir, 'data');
  run([pgBin('initdb'), '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  const start = async () =>
    run([pgBin('pg_ctl'), '-D', data, '-l', path.join(dir, 'log'), '-w', '-o', `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`, 'start']);
  await start();
  const name = `collab_${randomBytes(4).toString('hex')}`;
  run([pgBin('createdb'), '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', name]);
  const stop = async () => run([pgBin('pg_ctl'), '-D', data, '-w', '-m', 'fast', 'stop']);
  return {
    url: `postgresql://postgres@127.0.0.1:${port}/${name}`,
    start,
    stop,
    async dispose() {
      try {
        await stop();
      } catch {
        // already stopped
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedisCluster {
  /** Seed nodes, as REDIS_CLUSTER_NODES takes them. */
  nodes: string;
  /** The master that owns `key`'s slot and its replica, as ports. */
  shardOf(key: string): { master: number; replica: number };
  /** CLUSTER FAILOVER on the replica of `key`'s shard; resolves once every node agrees that the replica is the master. */
  failover(key: string): Promise<{ from: number; to: number }>;
  stop(): Promise<void>;
}

const redisCli = (port: number, ...args: string[]) => {
  const result = spawnSync('redis-cli', ['-h', '127.0.0.1', '-p', String(port), ...args], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`redis-cli ${args.join(' ')}: ${result.stderr}`);
  return result.stdout.trim();
};

/**
 * A Redis Cluster of the test's own (scripts/redis-cluster.sh, three masters
 * and three replicas), on six free ports from a random base, for tests that
 * change its topology: a failover on the shared cluster would disturb the
 * tests running beside them.
 */
export async function startRedisCluster(): Promise<PrivateRedisCluster> {
  let base = 0;
  // Six consecutive free ports below the ephemeral range, and their cluster bus ports (+10000).
  for (let tries = 0; tries < 20 && !base; tries++) {
    const candidate = 11_000 + Math.floor(Math.random() * 9_000);
    const ports = [0, 1, 2, 3, 4, 5].flatMap((i) => [candidate + i, candidate + i + 10_000]);
    if ((await Promise.all(ports.map(portIsFree))).every(Boolean)) base = candidate;
  }
  if (!base) throw new Error('no six free ports for a private Redis Cluster');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'collab-rc-'));
  const env = { ...process.env, REDIS_CLUSTER_BASE_PORT: String(base), REDIS_CLUSTER_DIR: dir };
  const script = path.join(ROOT, 'scripts/redis-cluster.sh');
  const started = await new Promise<string>((resolve, reject) => {
    const child = spawn('bash', [script, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`redis-cluster.sh start failed (${code}):\n${out}`))));
  }).catch((error: unknown) => {
    spawnSync('bash', [script, 'stop'], { env }); // what did come up
    rmSync(dir, { recursive: true, force: true });
    throw error;
  });
  const nodes = /REDIS_CLUSTER_NODES=(\S+)/.exec(started)![1]!;
  // From one node's view (CLUSTER NODES: id host:port@bus flags master ... slot ranges).
  const shardAt = (port: number, key: string) => {
    const slot = Number(redisCli(port, 'cluster', 'keyslot', key));
    const lines = redisCli(port, 'cluster', 'nodes').split('\n').map((line) => line.split(' '));
    const master = lines.find((f) => /(^|,)master$/.test(f[2]!) && f.slice(8).some((range) => inRange(slot, range)));
    const replica = master && lines.find((f) => /(^|,)slave$/.test(f[2]!) && f[3] === master[0]);
    const portOf = (f: string[] | undefined) => (f ? Number(/:(\d+)@/.exec(f[1]!)![1]) : 0);
    return { master: portOf(master), replica: portOf(replica) };
  };
  const shardOf = (key: string) => shardAt(base, key);
  return {
    nodes,
    shardOf,
    async failover(key) {
      const { master, replica } = shardOf(key);
      redisCli(replica, 'cluster', 'failover');
      // Every node names the replica as the slot's master, and the old master as its replica.
      const agreed = () => [0, 1, 2, 3, 4, 5].every((i) => {
        const now = shardAt(base + i, key);
        return now.master === replica && now.replica === master;
      });
      const started = Date.now();
      while (!agreed()) {
        if (Date.now() - started > 30_000) throw new Error(`the failover of ${master} to ${replica} did not complete in 30 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
      return { from: master, to: replica };
    },
    async stop() {
      spawnSync('bash', [script, 'stop'], { env });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const inRange = (slot: number, range: string) => {
  const [a, b] = range.split('-').map(Number);
  return b === undefined ? slot === a : slot >= a! && slot <= b;
};

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
