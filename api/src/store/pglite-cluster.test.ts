// The embedded database's first start: the cluster is made in a worker
// thread and renamed into place (pglite-cluster.ts). Real PGlite, real files.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './database.ts';

// A first start runs initdb (in a child process) before the open: ~40 s on two busy cores.
describe('embedded first start', { timeout: 180_000 }, () => {
  let db: Database | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('makes the cluster beside its place and renames it in, replacing what a killed start left', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'collab-first-start-'));
    // What a start killed half-way through initdb leaves: an empty place and a half-made cluster beside it.
    await mkdir(path.join(dir, 'pglite'));
    await mkdir(path.join(dir, 'pglite.initdb'));
    await writeFile(path.join(dir, 'pglite.initdb', 'half-made'), '');
    db = await openDatabase({ dataDir: dir, embeddedSharedBuffersMb: 8 });
    expect(await db.sql.query('SHOW shared_buffers')).toEqual([{ shared_buffers: '8MB' }]);
    expect(await db.sql.query('SHOW fsync')).toEqual([{ fsync: 'on' }]);
    expect(existsSync(path.join(dir, 'pglite', 'PG_VERSION'))).toBe(true);
    expect(existsSync(path.join(dir, 'pglite.initdb'))).toBe(false);
    await db.sql.exec('CREATE TABLE t (v TEXT); INSERT INTO t VALUES (1)');
    await db.close();
    // Opened again, it is the same cluster.
    db = await openDatabase({ dataDir: dir });
    expect(await db.sql.query('SELECT v FROM t')).toEqual([{ v: '1' }]);
    expect(await db.sql.query('SHOW shared_buffers')).toEqual([{ shared_buffers: '32MB' }]); // the default
  });

  it('refuses a place that holds files but no cluster, and leaves them alone', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'collab-first-start-'));
    await mkdir(path.join(dir, 'pglite'));
    await writeFile(path.join(dir, 'pglite', 'notes.txt'), 'mine');
    await expect(openDatabase({ dataDir: dir })).rejects.toThrow(/holds files but no database/);
    expect(existsSync(path.join(dir, 'pglite', 'notes.txt'))).toBe(true);
  });
});
