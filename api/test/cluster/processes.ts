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
  const child = spawn(process.execPath, ['api/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', NODE_ENV: 'test', ...env },
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
