import { describe, expect, test } from 'vitest';
import { migratedDatabase, openTempPGlite } from '../../test/support/test-databases.ts';
import { EmbeddedVacuum, planUpkeep, upkeepStatement, type TableReading, type VacuumSettings } from './pglite-vacuum.ts';

// PostgreSQL's defaults.
const DEFAULTS: VacuumSettings = {
  vacuumThreshold: 50,
  vacuumScaleFactor: 0.2,
  insertThreshold: 1000,
  insertScaleFactor: 0.2,
  analyzeThreshold: 50,
  analyzeScaleFactor: 0.1,
  freezeMaxAge: 200_000_000,
  multixactFreezeMaxAge: 400_000_000,
};

const quiet = (target: string, more: Partial<TableReading> = {}): TableReading => ({
  target,
  toast: false,
  tuples: 1_000,
  xidAge: 10,
  mxidAge: 0,
  dead: 0,
  insertedSinceVacuum: 0,
  modifiedSinceAnalyze: 0,
  ...more,
});

describe('which tables need upkeep (autovacuum formulas)', () => {
  test('dead rows past threshold plus scale factor times the table', () => {
    // 50 + 0.2 × 1,000 = 250
    expect(planUpkeep([quiet('a', { dead: 250 }), quiet('b', { dead: 251 })], DEFAULTS)).toEqual([
      { target: 'b', freeze: false, vacuum: true, analyze: false },
    ]);
  });

  test('inserted rows vacuum an append-only table, so its pages are frozen a little at a time', () => {
    // 1,000 + 0.2 × 1,000 = 1,200
    expect(planUpkeep([quiet('a', { insertedSinceVacuum: 1_200 }), quiet('b', { insertedSinceVacuum: 1_201 })], DEFAULTS)).toEqual([
      { target: 'b', freeze: false, vacuum: true, analyze: false },
    ]);
  });

  test('changed rows analyze a table, never a TOAST table', () => {
    // 50 + 0.1 × 1,000 = 150
    const plan = planUpkeep([quiet('a', { modifiedSinceAnalyze: 151 }), quiet('t', { modifiedSinceAnalyze: 10_000, toast: true })], DEFAULTS);
    expect(plan).toEqual([{ target: 'a', freeze: false, vacuum: false, analyze: true }]);
    expect(plan.map(upkeepStatement)).toEqual(['ANALYZE a']);
  });

  test('a table whose oldest transaction ID passed the freeze age is frozen whatever else it says, oldest first', () => {
    const plan = planUpkeep(
      [quiet('young'), quiet('old', { xidAge: 200_000_001 }), quiet('older', { xidAge: 300_000_000, modifiedSinceAnalyze: 500 }), quiet('multi', { mxidAge: 400_000_001 })],
      DEFAULTS,
    );
    expect(plan.map(upkeepStatement)).toEqual(['VACUUM (FREEZE, ANALYZE) older', 'VACUUM (FREEZE) old', 'VACUUM (FREEZE) multi']);
  });

  test('a never vacuumed table counts as empty', () => {
    // reltuples is -1 until the first VACUUM or ANALYZE; the query reads it as 0.
    expect(planUpkeep([quiet('a', { tuples: 0, dead: 51 })], DEFAULTS)).toHaveLength(1);
  });
});

describe('upkeep of an embedded database', () => {
  const temp = migratedDatabase(openTempPGlite);
  const one = async <T>(sql: string): Promise<T> => {
    const [row] = await temp.db.sql.query<T>(sql);
    if (!row) throw new Error(`no row: ${sql}`);
    return row;
  };
  const databaseAge = async () => (await one<{ age: number }>(`SELECT age(datfrozenxid) AS "age" FROM pg_database WHERE datname = current_database()`)).age;
  // Statistics reach the shared counters when the backend next goes idle (at most once a second): force it, then read.
  const deadRows = async (table: string) => {
    await temp.db.sql.query('SELECT pg_stat_force_next_flush()');
    return Number((await one<{ dead: string }>(`SELECT n_dead_tup AS "dead" FROM pg_stat_all_tables WHERE relname = '${table}'`)).dead);
  };

  test('freezes every table once transactions pass the freeze age, so the database never nears wraparound', async () => {
    await temp.db.sql.exec('CREATE TABLE vacuum_commits (id int PRIMARY KEY)');
    // One transaction ID each, as each embedded commit takes.
    for (let i = 0; i < 1_500; i++) await temp.db.sql.query('INSERT INTO vacuum_commits VALUES ($1)', [i]);
    expect(await databaseAge()).toBeGreaterThan(1_500);

    // Stands for a node 200 million commits on, with the default freeze age.
    const done = await new EmbeddedVacuum({ sql: temp.db.sql, freezeMaxAge: 1_000 }).runOnce();

    expect(done.filter((u) => u.freeze).map((u) => u.target)).toEqual(expect.arrayContaining(['public.vacuum_commits', 'public."Operation"', 'pg_catalog.pg_class']));
    expect(await databaseAge()).toBeLessThan(100);
    const [oldest] = await temp.db.sql.query<{ age: number }>(
      `SELECT max(age(relfrozenxid))::float8 AS "age" FROM pg_class WHERE relkind IN ('r', 'm', 't') AND relpersistence = 'p'`,
    );
    expect(oldest?.age).toBeLessThan(100);
  });

  test('reclaims dead rows once there are enough of them, and leaves a quiet table alone', async () => {
    await temp.db.sql.exec('CREATE TABLE vacuum_dead (id int PRIMARY KEY, k int); CREATE INDEX ON vacuum_dead (k); INSERT INTO vacuum_dead SELECT g, g FROM generate_series(1, 100) g');
    const vacuum = new EmbeddedVacuum({ sql: temp.db.sql });
    await vacuum.runOnce();
    // An indexed column changes: no update stays on its page, so pruning cannot tidy them away.
    await temp.db.sql.exec('UPDATE vacuum_dead SET k = k + 1000');
    expect(await deadRows('vacuum_dead')).toBe(100);
    // 100 is past 50 + 0.2 × 100 = 70; 40 dead in a table of 100 would not be.
    const done = await vacuum.runOnce();
    expect(done).toContainEqual({ target: 'public.vacuum_dead', freeze: false, vacuum: true, analyze: true });
    expect(await deadRows('vacuum_dead')).toBe(0);

    await temp.db.sql.exec('UPDATE vacuum_dead SET k = k + 1000 WHERE id <= 40');
    expect((await vacuum.runOnce()).map((u) => u.target)).not.toContain('public.vacuum_dead');
    expect(await deadRows('vacuum_dead')).toBe(40);
  });

  test('waits for the slot before each statement', async () => {
    await temp.db.sql.exec('CREATE TABLE vacuum_slot (id int); INSERT INTO vacuum_slot SELECT generate_series(1, 2000)');
    let slots = 0;
    const done = await new EmbeddedVacuum({
      sql: temp.db.sql,
      slot: async () => {
        slots++;
      },
    }).runOnce();
    expect(done.length).toBeGreaterThan(0);
    expect(slots).toBe(done.length);
  });
});
