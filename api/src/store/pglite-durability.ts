// Embedded mode's promise that an acknowledged op is on disk. Out of the box
// PGlite keeps it only against the process being killed, not against an OS
// crash or power loss, for two reasons:
// - its default start parameters carry `-F`: Postgres runs with fsync off;
// - its Node file layer (emscripten's NODEFS) has no fsync: Postgres's
//   fsync() reaches a stub that does nothing, and fdatasync() is a no-op
//   syscall whatever the file layer.
// So: start Postgres with fsync on and the WAL synced with fsync()
// (wal_sync_method=fsync, not fdatasync), and give NODEFS streams an fsync
// that is Node's own. Postgres then syncs the WAL in every commit, before the
// statement returns (so before the ack), and data files at checkpoints, as
// it does on a server. The syncs block the node's thread (PGlite runs in
// it): ~0.3-0.4 ms each on this project's CI machines.
import fs from 'node:fs';
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

/** Gives PGlite's NODEFS streams a real fsync (files by their descriptor, directories by path). */
export function syncThroughToDisk(db: PGlite): void {
  const FS = db.Module.FS as unknown as EmscriptenFs;
  const nodefs = FS.filesystems.NODEFS;
  nodefs.stream_ops.fsync = (stream: { nfd?: number; node: unknown }) => {
    try {
      if (stream.nfd !== undefined) fs.fsyncSync(stream.nfd);
      else syncPath(nodefs.realPath(stream.node)); // NODEFS opens no descriptor for a directory
    } catch {
      throw new FS.ErrnoError(EIO);
    }
    return 0;
  };
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
