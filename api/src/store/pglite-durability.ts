// Embedded mode's promise that an acknowledged op is on disk. Out of the box
// PGlite keeps it only against the process being killed, not against an OS
// crash or power loss, for two reasons:
// - its default start parameters carry `-F`: Postgres runs with fsync off;
// - its Node file layer (emscripten's NODEFS) has no fsync: Postgres's
//   fsync() reaches a stub that does nothing, and fdatasync() is a no-op
//   syscall whatever the file layer.
// So: start Postgres with fsync on and the WAL synced with fsync()
// (wal_sync_method=fsync, not fdatasync), and give NODEFS streams an fsync
// that is Node's own. Postgres then syncs the WAL in every commit and data
// files at checkpoints, as it does on a server.
//
// Those syncs hold the node's thread (PGlite runs in it): ~0.3-0.4 ms each
// on this project's machines, where that is the cheapest way, and commits
// that arrive meanwhile share the next transaction anyway. On a disk whose
// syncs take longer (many cloud volumes; or a slow spell) the thread would
// stand still for every commit. So once three commits in a row took over
// 1 ms to sync their WAL, the op log's commits (SqlRunner.prepared and
// SqlRunner.script) let their WAL syncs wait (WalSyncs): Postgres is told
// the sync is done, Node syncs the segment off the thread, and the call
// resolves, so the ack goes out, only after that. Commits that arrive
// meanwhile wait for the sync and share the next one (group commit). Until
// it is done nothing else may read what the commit wrote: every other
// statement waits for it first. Any other sync Postgres asks for (data
// files, pg_control) first syncs the waiting WAL in the thread, so syncs
// still reach the disk in Postgres's order. A second later the next commit
// syncs in the thread again, to see whether the disk got faster.
import { AsyncLocalStorage } from 'node:async_hooks';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/** PGlite's own start parameters, with fsync on and WAL syncs that reach the file layer. */
export function durableStartParams(): string[] {
  return [...PGlite.defaultStartParams.filter((p) => p !== '-F'), '-c', 'wal_sync_method=fsync'];
}

/** The parts of emscripten's FS this touches (PGlite does not type them). */
interface EmscriptenFs {
  filesystems: { NODEFS: { stream_ops: Record<string, unknown>; realPath(node: unknown): string } };
  ErrnoError: new (errno: number) => Error;
}

/** emscripten's errno for EIO: Postgres treats a failed fsync as fatal, as it must. */
const EIO = 29;

/**
 * Gives PGlite's NODEFS streams a real fsync (files by their descriptor,
 * directories by path); in a slow spell, the WAL syncs of statements inside
 * `wal.deferred` wait for wal.flush() (see the top of this file).
 */
export function syncThroughToDisk(db: PGlite, spells: SlowSpells = {}): WalSyncs {
  const FS = db.Module.FS as unknown as EmscriptenFs;
  const nodefs = FS.filesystems.NODEFS;
  const wal = new WalSyncs(spells);
  nodefs.stream_ops.fsync = (stream: { nfd?: number; node: unknown }) => {
    try {
      if (stream.nfd !== undefined && wal.deferring) wal.commitSync(nodefs.realPath(stream.node), stream.nfd);
      else {
        wal.syncNow();
        if (stream.nfd !== undefined) fs.fsyncSync(stream.nfd);
        else syncPath(nodefs.realPath(stream.node)); // NODEFS opens no descriptor for a directory
      }
    } catch {
      throw new FS.ErrnoError(EIO);
    }
    return 0;
  };
  // Every statement reaches Postgres through these two (query, exec,
  // transaction, Prisma's adapter). Each runs the statement synchronously
  // before its first await, so `deferring` covers exactly that statement.
  const target = db as unknown as Record<'execProtocolRaw' | 'execProtocolRawStream', (message: Uint8Array, options?: unknown) => Promise<unknown>>;
  for (const name of ['execProtocolRaw', 'execProtocolRawStream'] as const) {
    const run = target[name].bind(db);
    target[name] = (message, options) => wal.statement(() => run(message, options));
  }
  return wal;
}

const WAL_SEGMENT = /[/\\]pg_wal[/\\][0-9A-F]{24}$/;

/** When WAL syncs count as slow (the defaults are the node's; tests set their own). */
export interface SlowSpells {
  /** A commit's WAL sync slower than this (ms) is slow. @default 1 */
  overMs?: number;
  /** This many slow ones in a row start a slow spell. @default 3 */
  inARow?: number;
  /** How long (ms) a slow spell lasts before a commit syncs in the thread again. @default 1000 */
  lastsMs?: number;
}

/**
 * The WAL syncs that commits let wait, and the group syncs that do them.
 * Syncs go through descriptors of its own, not Postgres's (which Postgres
 * may close meanwhile): fsync writes back a file's data whichever
 * descriptor wrote it.
 */
export class WalSyncs {
  /** True while a statement inside `deferred` runs: its WAL syncs may wait (read by the fsync hook). */
  deferring = false;
  /** Until when (performance.now()) WAL syncs are slow: commits' syncs wait for flush(). */
  private slowUntil = 0;
  private readonly scope = new AsyncLocalStorage<true>();
  private dirty = new Set<string>();
  private syncing: string[] = [];
  private inFlight: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private failed: Error | null = null;
  private readonly fds = new Map<string, number>();
  private slowInARow = 0;
  private readonly overMs: number;
  private readonly inARow: number;
  private readonly lastsMs: number;

  constructor({ overMs = 1, inARow = 3, lastsMs = 1000 }: SlowSpells = {}) {
    this.overMs = overMs;
    this.inARow = inARow;
    this.lastsMs = lastsMs;
  }

  /** Runs `fn` (statements through PGlite) with its WAL syncs deferred; resolves once they are on disk. */
  async deferred<T>(fn: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await this.scope.run(true, fn);
    } finally {
      if (this.pending) await this.flush();
    }
    return result;
  }

  /** True while a deferred sync is waiting or under way (or one failed). */
  get pending(): boolean {
    return this.dirty.size > 0 || this.inFlight !== null || this.failed !== null;
  }

  /**
   * Runs one statement (`run` executes it before its first await): others
   * first wait for the deferred syncs; one inside `deferred` goes ahead,
   * unless a sync failed, and may leave its WAL sync to flush().
   */
  async statement<T>(run: () => Promise<T>): Promise<T> {
    const deferred = this.scope.getStore() === true;
    if (this.pending && (!deferred || this.failed)) await this.flush();
    this.deferring = deferred;
    try {
      return run();
    } finally {
      this.deferring = false;
    }
  }

  /** True while WAL syncs are slow, so commits inside `deferred` leave theirs to flush(). */
  get slow(): boolean {
    return performance.now() < this.slowUntil;
  }

  /** A sync Postgres asks for while `deferring`: a WAL segment's waits in a slow spell; the rest is done now, and timed. */
  commitSync(file: string, fd: number): void {
    const segment = WAL_SEGMENT.test(file);
    if (segment && this.slow) {
      this.dirty.add(file);
      return;
    }
    this.syncNow();
    const start = performance.now();
    fs.fsyncSync(fd);
    if (!segment) return;
    // A lone slow sync is a hiccup; three in a row, the disk.
    this.slowInARow = performance.now() - start > this.overMs ? this.slowInARow + 1 : 0;
    if (this.slowInARow >= this.inARow) {
      this.slowInARow = 0;
      this.slowUntil = performance.now() + this.lastsMs;
    }
  }

  /** Before any sync that is not deferred: the deferred ones first, in the thread. */
  syncNow(): void {
    if (this.dirty.size === 0 && this.syncing.length === 0) return;
    for (const file of new Set([...this.syncing, ...this.dirty])) fs.fsyncSync(this.fdOf(file));
    this.dirty.clear();
    this.syncing = [];
  }

  /** Resolves once every WAL sync deferred so far is done; rejects for good after a failed one. */
  flush(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (this.dirty.size === 0) return this.inFlight ?? Promise.resolve();
    // One sync at a time; what is deferred meanwhile waits for the next one, together.
    if (this.inFlight) {
      return (this.queued ??= this.inFlight.then(() => {
        this.queued = null;
        return this.flush();
      }));
    }
    const files = [...this.dirty];
    this.dirty.clear();
    this.syncing = files;
    const round = Promise.all(files.map((file) => fsyncOffThread(this.fdOf(file)))).then(
      () => this.closeAllBut(files),
      (error: unknown) => {
        // As Postgres on a failed fsync: the written data may never reach the disk, so nothing goes on.
        this.failed = new Error('embedded database: a WAL sync failed; restart the node (PostgreSQL recovers from its WAL)', { cause: error });
        throw this.failed;
      },
    );
    const settled = round.finally(() => {
      if (this.inFlight === settled) {
        this.inFlight = null;
        this.syncing = [];
      }
    });
    this.inFlight = settled;
    return settled;
  }

  /** After the database is closed: waits for the last sync and closes the descriptors. */
  async dispose(): Promise<void> {
    await this.flush().catch(() => {});
    this.closeAllBut([]);
  }

  private fdOf(file: string): number {
    let fd = this.fds.get(file);
    if (fd === undefined) this.fds.set(file, (fd = fs.openSync(file, 'r')));
    return fd;
  }

  /** Segments the last sync did not touch are behind Postgres (or recycled under a new name). */
  private closeAllBut(keep: string[]): void {
    for (const [file, fd] of this.fds) {
      if (keep.includes(file) || this.dirty.has(file)) continue;
      this.fds.delete(file);
      fs.closeSync(fd);
    }
  }
}

function fsyncOffThread(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (error) => (error ? reject(error) : resolve())));
}

/** Refuses to go on unless Postgres inside PGlite really runs with fsync on. */
export async function checkDurable(db: PGlite): Promise<void> {
  const setting = async (name: string) => (await db.query<Record<string, string>>(`SHOW ${name}`)).rows[0]?.[name];
  const [fsync, method] = [await setting('fsync'), await setting('wal_sync_method')];
  if (fsync !== 'on' || method !== 'fsync') throw new Error(`PGlite did not take the durable settings (fsync=${fsync}, wal_sync_method=${method})`);
}

/**
 * fsyncs every file and directory under `dir`: what was written before the
 * hook was in place (initdb on first start, recovery after a crash, or runs
 * with EMBEDDED_FSYNC=off). Files already on disk cost little (~1,000 files
 * of a fresh database: ~70 ms).
 */
export async function syncTree(dir: string): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) await syncTree(child);
    else if (entry.isFile()) syncPath(child);
  }
  syncPath(dir);
}

/** fsyncs one file or directory (a directory: the names in it). */
export function syncPath(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
