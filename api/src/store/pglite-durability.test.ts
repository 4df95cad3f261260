// Embedded mode syncs every commit to disk before the statement returns
// (so before any ack): Postgres inside PGlite runs with fsync on, and its
// fsync() reaches the disk through Node. Real PGlite on a real directory;
// the spy only counts Node's fsync calls.
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { seedEmptyPGlite } from '../../test/support/pglite-template.ts';
import { openDatabase, type Database } from './database.ts';

describe('embedded durability', () => {
  let db: Database | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const open = async (embeddedFsync?: boolean) => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'collab-durable-'));
    await seedEmptyPGlite(dir);
    db = await openDatabase({ dataDir: dir, embeddedFsync });
    await db.sql.exec('CREATE TABLE t (v TEXT)');
    return db;
  };
  const walFiles = () => fs.readdirSync(path.join(dir!, 'pglite', 'pg_wal')).filter((name) => /^[0-9A-F]{24}$/.test(name));

  it('syncs the WAL to disk inside every commit, by default', async () => {
    const { sql } = await open();
    expect(await sql.query('SHOW fsync')).toEqual([{ fsync: 'on' }]);
    expect(await sql.query('SHOW wal_sync_method')).toEqual([{ wal_sync_method: 'fsync' }]);
    const fsync = vi.spyOn(fs, 'fsyncSync');
    for (let i = 1; i <= 3; i++) {
      const before = fsync.mock.calls.length;
      await sql.query('INSERT INTO t VALUES ($1)', [`commit ${i}`]);
      expect(fsync.mock.calls.length, `commit ${i}`).toBeGreaterThan(before);
    }
    // What it synced was the WAL segment the commits went to.
    const synced = new Set(fsync.mock.calls.map(([fd]) => fs.readlinkSync(`/proc/self/fd/${fd}`)));
    expect(walFiles().some((name) => synced.has(path.join(dir!, 'pglite', 'pg_wal', name)))).toBe(true);
  });

  it('syncs data files at a checkpoint', async () => {
    const { sql } = await open();
    await sql.query('INSERT INTO t VALUES ($1)', ['x']);
    const fsync = vi.spyOn(fs, 'fsyncSync');
    await sql.exec('CHECKPOINT');
    expect(fsync.mock.calls.length).toBeGreaterThan(1);
  });

  it('leaves syncing to the OS with EMBEDDED_FSYNC=off (PGlite as it comes)', async () => {
    const { sql } = await open(false);
    expect(await sql.query('SHOW fsync')).toEqual([{ fsync: 'off' }]);
    const fsync = vi.spyOn(fs, 'fsyncSync');
    await sql.query('INSERT INTO t VALUES ($1)', ['x']);
    await sql.exec('CHECKPOINT');
    expect(fsync).not.toHaveBeenCalled();
  });
});
