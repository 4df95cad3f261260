// SqlRunner.prepared, on both databases: the op log's commits run through it.
// Real PGlite on a real directory, and PostgreSQL when DATABASE_URL is set.
// (A prepared commit on a slow disk: pglite-durability.test.ts.)
import { afterEach, describe, expect, it } from 'vitest';
import { openTempPGlite, openTempPostgres, postgresTestUrl, SKIPPED_WITHOUT_URL, type TempDatabase } from '../../test/support/test-databases.ts';
import type { PreparedStatement } from './database.ts';

const ECHO: PreparedStatement = { name: 'test_echo', text: 'SELECT $1::text AS t, $2::integer AS n, $3::jsonb AS j, $4::text AS missing' };
// Quotes, backslashes, a parameter marker, a statement's end and text beyond ASCII: values, never SQL.
const HOSTILE = `it's \\' $1 '); DROP TABLE t; -- ⚠️ \u00e9`;

function preparedSuite(open: () => Promise<TempDatabase>, { embedded }: { embedded: boolean }) {
  let temp: TempDatabase | undefined;
  afterEach(async () => {
    await temp?.dispose();
    temp = undefined;
  });
  const opened = async () => (temp = await open()).db;

  it('runs with its parameters as values, whatever they hold', async () => {
    const db = await opened();
    const json = JSON.stringify({ ops: [{ insert: HOSTILE }] });
    for (let i = 0; i < 3; i++) {
      expect(await db.sql.prepared(ECHO, [HOSTILE, -7 + i, json, null])).toEqual([{ t: HOSTILE, n: -7 + i, j: JSON.parse(json), missing: null }]);
    }
  });

  it('reports the database error a statement meets, with its code', async () => {
    const db = await opened();
    await db.sql.exec('CREATE TABLE t (v TEXT PRIMARY KEY)');
    const insert: PreparedStatement = { name: 'test_insert', text: 'INSERT INTO t (v) VALUES ($1::text) RETURNING v' };
    expect(await db.sql.prepared(insert, ['a'])).toEqual([{ v: 'a' }]);
    await expect(db.sql.prepared(insert, ['a'])).rejects.toMatchObject({ code: '23505', constraint: 't_pkey' });
    expect(await db.sql.query('SELECT v FROM t')).toEqual([{ v: 'a' }]);
  });

  it('refuses a name that is not a plain SQL name, before it reaches the database', async () => {
    const db = await opened();
    await db.sql.exec("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('kept')");
    await expect(db.sql.prepared({ name: 'x AS SELECT 1; DROP TABLE t; PREPARE y', text: 'SELECT 1' }, [])).rejects.toThrow(RangeError);
    expect(await db.sql.query('SELECT v FROM t')).toEqual([{ v: 'kept' }]);
  });

  it('refuses a name already used for another statement', async () => {
    const db = await opened();
    expect(await db.sql.prepared({ name: 'test_one', text: 'SELECT 1 AS n' }, [])).toEqual([{ n: 1 }]);
    await expect(db.sql.prepared({ name: 'test_one', text: 'SELECT 2 AS n' }, [])).rejects.toThrow();
    expect(await db.sql.prepared({ name: 'test_one', text: 'SELECT 1 AS n' }, [])).toEqual([{ n: 1 }]);
  });

  it('prepares again after a PREPARE that failed', async () => {
    const db = await opened();
    const count: PreparedStatement = { name: 'test_count', text: 'SELECT count(*)::int AS n FROM later WHERE v <> $1::text' };
    await expect(db.sql.prepared(count, ['x'])).rejects.toMatchObject({ code: '42P01' }); // no such table yet
    await db.sql.exec("CREATE TABLE later (v TEXT); INSERT INTO later VALUES ('a')");
    expect(await db.sql.prepared(count, ['x'])).toEqual([{ n: 1 }]);
  });

  // One session, so what it holds prepared can be read (a pool's connections each hold their own).
  if (embedded) {
    it('prepares a statement once and runs it by name', async () => {
      const db = await opened();
      for (let i = 0; i < 3; i++) await db.sql.prepared(ECHO, ['x', i, '{}', null]);
      expect(await db.sql.query('SELECT name FROM pg_prepared_statements')).toEqual([{ name: ECHO.name }]);
    });
  }
}

describe('prepared statements, embedded', () => {
  preparedSuite(openTempPGlite, { embedded: true });
});

const url = postgresTestUrl();

describe.skipIf(!url)(`prepared statements on PostgreSQL${SKIPPED_WITHOUT_URL}`, () => {
  preparedSuite(() => openTempPostgres(url ?? ''), { embedded: false });
});
