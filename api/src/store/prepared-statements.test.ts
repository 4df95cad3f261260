// SqlRunner.prepared, on both databases: the op log's commits run through it.
// Real PGlite on a real directory, and PostgreSQL when DATABASE_URL is set.
import fs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { seedEmptyPGlite } from '../../test/support/pglite-template.ts';
import { openTempPGlite, openTempPostgres, postgresTestUrl, SKIPPED_WITHOUT_URL, type TempDatabase } from '../../test/support/test-databases.ts';
import { openDatabase, type Database, type PreparedStatement } from './database.ts';

const ECHO: PreparedStatement = { name: 'test_echo', text: 'SELECT $1::text AS t, $2::integer AS n, $3::jsonb AS j, $4::text AS missing' };
// Quotes, backslashes, a parameter marker, a statement's end and text beyond ASCII: values, never SQL.
const HOSTILE = `it's \\' $1 '); DROP TABLE t; -- ⚠️ \u00e9`;

function preparedSuite(open: () => Promise<TempDatabase>) {
  let temp: TempDatabase | undefined;
  afterEach(async () => {
    await temp?.dispose();
    temp = undefined;
  });

  it('runs with its parameters as values, whatever they hold', async () => {
    temp = await open();
    const json = JSON.stringify({ ops: [{ insert: HOSTILE }] });
    for (let i = 0; i < 3; i++) {
      expect(await temp.db.sql.prepared(ECHO, [HOSTILE, -7 + i, json, null])).toEqual([{ t: HOSTILE, n: -7 + i, j: JSON.parse(json), missing: null }]);
    }
  });

  it('reports the database error a statement meets, with its code', async () => {
    temp = await open();
    await temp.db.sql.exec('CREATE TABLE t (v TEXT PRIMARY KEY)');
    const insert: PreparedStatement = { name: 'test_insert', text: 'INSERT INTO t (v) VALUES ($1::text) RETURNING v' };
    expect(await temp.db.sql.prepared(insert, ['a'])).toEqual([{ v: 'a' }]);
    await expect(temp.db.sql.prepared(insert, ['a'])).rejects.toMatchObject({ code: '23505', constraint: 't_pkey' });
    expect(await temp.db.sql.query('SELECT v FROM t')).toEqual([{ v: 'a' }]);
  });
}

describe('prepared statements, embedded', () => {
  preparedSuite(openTempPGlite);

  let temp: TempDatabase | undefined;
  afterEach(async () => {
    await temp?.dispose();
    temp = undefined;
  });

  it('prepares a statement once and runs it by name', async () => {
    temp = await openTempPGlite();
    for (let i = 0; i < 3; i++) await temp.db.sql.prepared(ECHO, ['x', i, '{}', null]);
    expect(await temp.db.sql.query('SELECT name FROM pg_prepared_statements')).toEqual([{ name: ECHO.name }]);
  });

  it('refuses a name that is not a plain SQL name, before it reaches the database', async () => {
    temp = await openTempPGlite();
    await temp.db.sql.exec('CREATE TABLE t (v TEXT)');
    await expect(temp.db.sql.prepared({ name: 'x AS SELECT 1; DROP TABLE t; PREPARE y', text: 'SELECT 1' }, [])).rejects.toThrow(RangeError);
    expect(await temp.db.sql.query('SELECT count(*)::int AS n FROM t')).toEqual([{ n: 0 }]);
    expect(await temp.db.sql.query('SELECT name FROM pg_prepared_statements')).toEqual([]);
  });

  it('prepares again after a PREPARE that failed', async () => {
    temp = await openTempPGlite();
    const count: PreparedStatement = { name: 'test_count', text: 'SELECT count(*)::int AS n FROM later WHERE v <> $1::text' };
    await expect(temp.db.sql.prepared(count, ['x'])).rejects.toMatchObject({ code: '42P01' }); // no such table yet
    await temp.db.sql.exec("CREATE TABLE later (v TEXT); INSERT INTO later VALUES ('a')");
    expect(await temp.db.sql.prepared(count, ['x'])).toEqual([{ n: 1 }]);
  });
});

// A commit run by name is a commit like script's: in a slow spell its WAL
// sync goes off the thread, and the call resolves only once that sync is
// done (pglite-durability.ts). Node's syncs are made slow in the thread and
// held when off it, so the test can look at what waits for them.
describe('prepared commits on a slow disk, embedded', () => {
  let db: Database | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await db?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('resolve only after their WAL sync, done off the thread', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'collab-prepared-'));
    await seedEmptyPGlite(dir);
    db = await openDatabase({ dataDir: dir });
    await db.sql.exec('CREATE TABLE t (v TEXT)');
    const insert: PreparedStatement = { name: 'test_insert', text: 'INSERT INTO t (v) VALUES ($1::text)' };

    const sync = fs.fsyncSync.bind(fs);
    vi.spyOn(fs, 'fsyncSync').mockImplementation((fd) => {
      sync(fd);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); // a slow disk, in the thread
    });
    const runOffThread = fs.fsync.bind(fs);
    const held: Array<() => void> = [];
    vi.spyOn(fs, 'fsync').mockImplementation(((fd: number, done: (error: NodeJS.ErrnoException | null) => void) =>
      void held.push(() => runOffThread(fd, done))) as typeof fs.fsync);

    // Slow syncs in a row start a slow spell (the node's defaults: three
    // over 1 ms, for a second); a spell that ends first starts again the same way.
    let commit: Promise<unknown> | undefined;
    let settled = false;
    for (let i = 0; i < 20 && held.length === 0; i++) {
      settled = false;
      commit = db.sql.prepared(insert, [`commit ${i}`]).finally(() => (settled = true));
      await vi.waitFor(() => expect(settled || held.length > 0).toBe(true), { timeout: 10_000 });
    }
    expect(held).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(settled).toBe(false);

    held.splice(0).forEach((run) => run());
    await commit;
    expect(settled).toBe(true);
  });
});

const url = postgresTestUrl();

describe.skipIf(!url)(`prepared statements on PostgreSQL${SKIPPED_WITHOUT_URL}`, () => {
  preparedSuite(() => openTempPostgres(url ?? ''));
});
