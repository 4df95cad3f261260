// Embedded mode syncs every commit to disk before the statement returns
// (so before any ack): Postgres inside PGlite runs with fsync on, and its
// fsync() reaches the disk through Node. Real PGlite on a real directory;
// the spy only counts Node's fsync calls.
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { seedEmptyPGlite } from '../../test/support/pglite-template.ts';
import { openDatabase, type Database, type PreparedStatement } from './database.ts';
import { durableStartParams, syncThroughToDisk, type SlowSpells, type WalSyncs } from './pglite-durability.ts';

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

  // The op log's commits are prepared statements (SqlRunner.prepared): in a
  // slow spell their WAL sync goes off the thread like script's, and the
  // call resolves only once it is done. Node's syncs are made slow in the
  // thread and held when off it, so the test can look at what waits for them.
  it('in a slow spell, a prepared commit resolves only after its sync, done off the thread', async () => {
    const { sql } = await open();
    const insert: PreparedStatement = { name: 'test_insert', text: 'INSERT INTO t (v) VALUES ($1::text)' };
    const sync = fs.fsyncSync.bind(fs);
    vi.spyOn(fs, 'fsyncSync').mockImplementation((fd) => {
      sync(fd);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    });
    const runOffThread = fs.fsync.bind(fs);
    const held: Array<() => void> = [];
    vi.spyOn(fs, 'fsync').mockImplementation(((fd: number, done: (error: NodeJS.ErrnoException | null) => void) =>
      void held.push(() => runOffThread(fd, done))) as typeof fs.fsync);

    // Slow syncs in a row start a spell (the node's defaults: three over
    // 1 ms, for a second); one that ends first starts again the same way.
    let commit: Promise<unknown> | undefined;
    let settled = false;
    for (let i = 0; i < 20 && held.length === 0; i++) {
      settled = false;
      commit = sql.prepared(insert, [`commit ${i}`]).finally(() => (settled = true));
      await vi.waitFor(() => expect(settled || held.length > 0).toBe(true), { timeout: 10_000 });
    }
    expect(held).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);

    held.splice(0).forEach((run) => run());
    await commit;
    expect(settled).toBe(true);
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

// A slow disk: its syncs are real, each followed by a wait. The WAL syncs a
// commit leaves for later are held until the test lets them run, so it can
// look at what waits for them.
describe('commits on a slow disk', () => {
  let db: PGlite | undefined;
  let wal: WalSyncs | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await db?.close().catch(() => {}); // after a failed sync nothing may run, closing included
    await wal?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const open = async (spells: SlowSpells) => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'collab-slow-disk-'));
    await seedEmptyPGlite(dir);
    db = await PGlite.create({ dataDir: path.join(dir, 'pglite'), startParams: durableStartParams() });
    wal = syncThroughToDisk(db, spells);
    await db.exec('CREATE TABLE t (v TEXT)');
    const pg = db;
    const walSyncs = wal;
    return { pg, wal: walSyncs, commit: (value: string) => walSyncs.deferred(() => pg.exec(`INSERT INTO t VALUES ('${value}')`)) };
  };
  const sleepInThread = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
  const slowDisk = () => {
    const sync = fs.fsyncSync.bind(fs);
    return vi.spyOn(fs, 'fsyncSync').mockImplementation((fd) => {
      sync(fd);
      sleepInThread(5);
    });
  };
  const isWalSegment = (fd: number) => /\/pg_wal\/[0-9A-F]{24}$/.test(fs.readlinkSync(`/proc/self/fd/${fd}`));
  const holdSyncsOffThread = () => {
    const run = fs.fsync.bind(fs);
    const held: Array<{ fd: number; done: (error: NodeJS.ErrnoException | null) => void }> = [];
    const spy = vi.spyOn(fs, 'fsync').mockImplementation(((fd: number, done: (error: NodeJS.ErrnoException | null) => void) => void held.push({ fd, done })) as typeof fs.fsync);
    return {
      held,
      spy,
      release: () => held.splice(0).forEach(({ fd, done }) => run(fd, done)),
      fail: () => held.splice(0).forEach(({ done }) => done(Object.assign(new Error('EIO: i/o error, fsync'), { code: 'EIO' }))),
    };
  };
  const watch = (promise: Promise<unknown>) => {
    const state = { settled: false };
    promise.then(
      () => (state.settled = true),
      () => (state.settled = true),
    );
    return state;
  };
  const aWhile = () => new Promise((resolve) => setTimeout(resolve, 50));

  it('after a slow WAL sync, commits sync off the thread, and neither they nor reads finish before the sync', async () => {
    const { pg, wal, commit } = await open({ overMs: 1, inARow: 2, lastsMs: 60_000 });
    const inThread = slowDisk();
    await commit('one'); // synced in the thread, slowly
    expect(inThread.mock.calls.some(([fd]) => isWalSegment(fd))).toBe(true);
    expect(wal.slow).toBe(false); // one slow sync is a hiccup
    await commit('one again'); // the second in a row: a slow spell starts
    expect(wal.slow).toBe(true);

    inThread.mockClear();
    const offThread = holdSyncsOffThread();
    const two = commit('two');
    const twoState = watch(two);
    await vi.waitFor(() => expect(offThread.held).toHaveLength(1), { timeout: 10_000 });
    expect(isWalSegment(offThread.held[0]!.fd)).toBe(true);
    expect(inThread.mock.calls.filter(([fd]) => isWalSegment(fd))).toEqual([]);

    const read = pg.query<{ n: number }>('SELECT count(*)::int AS n FROM t');
    const readState = watch(read);
    await aWhile();
    expect(twoState.settled).toBe(false);
    expect(readState.settled).toBe(false);

    offThread.release();
    await two;
    expect((await read).rows).toEqual([{ n: 3 }]);
  });

  it('commits that arrive while a sync is under way share the next one', async () => {
    const { commit } = await open({ overMs: -1, inARow: 1, lastsMs: 60_000 }); // every sync starts a spell
    await commit('one');
    const offThread = holdSyncsOffThread();
    const first = commit('two');
    await vi.waitFor(() => expect(offThread.held).toHaveLength(1), { timeout: 10_000 });
    const more = [commit('a'), commit('b'), commit('c')];
    const moreState = more.map(watch);
    await aWhile();
    expect(offThread.held).toHaveLength(1); // one sync at a time

    offThread.release();
    await first;
    await vi.waitFor(() => expect(offThread.held).toHaveLength(1), { timeout: 10_000 });
    expect(moreState.some((s) => s.settled)).toBe(false);
    offThread.release();
    await Promise.all(more);
    expect(offThread.spy).toHaveBeenCalledTimes(2);
  });

  it('a failed sync fails its commit and every statement after it', async () => {
    const { pg, commit } = await open({ overMs: -1, inARow: 1, lastsMs: 60_000 });
    await commit('one');
    const offThread = holdSyncsOffThread();
    const two = commit('two');
    await vi.waitFor(() => expect(offThread.held).toHaveLength(1), { timeout: 10_000 });
    offThread.fail();
    await expect(two).rejects.toThrow(/WAL sync failed/);
    await expect(pg.query('SELECT 1')).rejects.toThrow(/WAL sync failed/);
    await expect(commit('three')).rejects.toThrow(/WAL sync failed/);
  });
});
