// Embedded upkeep: what PostgreSQL's autovacuum would do, done by the node.
//
// PGlite runs PostgreSQL in single-user mode. There is no postmaster, so
// there is never an autovacuum launcher, whatever `autovacuum` says. Left
// alone, an embedded node:
// - never freezes transaction IDs. Every commit takes one; once the oldest
//   unfrozen row is ~2^31 transactions old, its xmin reads as the future
//   and the row vanishes. Outside a postmaster PostgreSQL only warns on the
//   way there, it does not stop writes. (About 25 days at 1,000 commits/s.)
// - never reclaims dead rows from indexes (every commit updates its
//   Document row; pruning only tidies inside a page);
// - never gathers the planner's statistics.
//
// So a pass picks the tables autovacuum would pick, by its own formulas and
// the server's own settings, and vacuums or analyzes them one at a time.
// Each statement waits for the background slot (embedded: just after a
// commit): PGlite runs on this thread, so a VACUUM holds everything else
// up while it runs. Plain VACUUM skips the pages the visibility map marks
// all-visible, so a pass costs about what changed since the last one.
import type { SqlSession } from './database.ts';

export interface VacuumOptions {
  sql: SqlSession;
  /** Awaited before each statement. @default at once */
  slot?: () => Promise<void>;
  /**
   * Transactions after which a table is vacuumed with FREEZE, whatever its
   * other counts say (autovacuum's anti-wraparound vacuum).
   * @default the server's autovacuum_freeze_max_age (200 million)
   */
  freezeMaxAge?: number;
}

/** One table's reading, from pg_class and pg_stat_all_tables. */
export interface TableReading {
  /** Schema-qualified and quoted, ready for a statement. */
  target: string;
  toast: boolean;
  /** Tuples at the last VACUUM or ANALYZE; 0 if never. */
  tuples: number;
  xidAge: number;
  mxidAge: number;
  dead: number;
  insertedSinceVacuum: number;
  modifiedSinceAnalyze: number;
}

/** autovacuum's settings (postgresql.conf names), read from the server. */
export interface VacuumSettings {
  vacuumThreshold: number;
  vacuumScaleFactor: number;
  insertThreshold: number;
  insertScaleFactor: number;
  analyzeThreshold: number;
  analyzeScaleFactor: number;
  freezeMaxAge: number;
  multixactFreezeMaxAge: number;
}

export interface Upkeep {
  target: string;
  freeze: boolean;
  vacuum: boolean;
  analyze: boolean;
}

// The counts this backend has not yet published reach the shared statistics
// when it next goes idle, at most once a second: this statement asks for
// that flush, so the table reading after it is current.
const SETTINGS = `
  SELECT pg_stat_force_next_flush(),
         current_setting('autovacuum_vacuum_threshold')::float8 AS "vacuumThreshold",
         current_setting('autovacuum_vacuum_scale_factor')::float8 AS "vacuumScaleFactor",
         current_setting('autovacuum_vacuum_insert_threshold')::float8 AS "insertThreshold",
         current_setting('autovacuum_vacuum_insert_scale_factor')::float8 AS "insertScaleFactor",
         current_setting('autovacuum_analyze_threshold')::float8 AS "analyzeThreshold",
         current_setting('autovacuum_analyze_scale_factor')::float8 AS "analyzeScaleFactor",
         current_setting('autovacuum_freeze_max_age')::float8 AS "freezeMaxAge",
         current_setting('autovacuum_multixact_freeze_max_age')::float8 AS "multixactFreezeMaxAge"`;

// Every permanent table, the catalogs and TOAST tables included: the
// database's frozen horizon (datfrozenxid) is the oldest of them all.
const TABLES = `
  SELECT format('%I.%I', n.nspname, c.relname) AS "target", c.relkind = 't' AS "toast",
         GREATEST(c.reltuples, 0)::float8 AS "tuples",
         age(c.relfrozenxid)::float8 AS "xidAge", mxid_age(c.relminmxid)::float8 AS "mxidAge",
         COALESCE(s.n_dead_tup, 0)::float8 AS "dead",
         COALESCE(s.n_ins_since_vacuum, 0)::float8 AS "insertedSinceVacuum",
         COALESCE(s.n_mod_since_analyze, 0)::float8 AS "modifiedSinceAnalyze"
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_stat_all_tables s ON s.relid = c.oid
  WHERE c.relkind IN ('r', 'm', 't') AND c.relpersistence = 'p'`;

/** What autovacuum would do to each table (its formulas: PostgreSQL's "The Autovacuum Daemon"), oldest first. */
export function planUpkeep(tables: readonly TableReading[], s: VacuumSettings): Upkeep[] {
  const plan: Array<Upkeep & { age: number }> = [];
  for (const t of tables) {
    const freeze = t.xidAge > s.freezeMaxAge || t.mxidAge > s.multixactFreezeMaxAge;
    const vacuum =
      freeze || t.dead > s.vacuumThreshold + s.vacuumScaleFactor * t.tuples || t.insertedSinceVacuum > s.insertThreshold + s.insertScaleFactor * t.tuples;
    // TOAST tables have no statistics of their own.
    const analyze = !t.toast && t.modifiedSinceAnalyze > s.analyzeThreshold + s.analyzeScaleFactor * t.tuples;
    if (vacuum || analyze) plan.push({ target: t.target, freeze, vacuum, analyze, age: t.xidAge });
  }
  return plan.sort((a, b) => b.age - a.age).map(({ age: _, ...upkeep }) => upkeep);
}

/** The statement for one table's upkeep. */
export function upkeepStatement(u: Upkeep): string {
  if (!u.vacuum) return `ANALYZE ${u.target}`;
  const options = [u.freeze && 'FREEZE', u.analyze && 'ANALYZE'].filter(Boolean);
  return `VACUUM ${options.length > 0 ? `(${options.join(', ')}) ` : ''}${u.target}`;
}

export class EmbeddedVacuum {
  private readonly sql: SqlSession;
  private readonly slot: () => Promise<void>;
  private readonly freezeMaxAge: number | undefined;

  constructor(opts: VacuumOptions) {
    this.sql = opts.sql;
    this.slot = opts.slot ?? (() => Promise.resolve());
    this.freezeMaxAge = opts.freezeMaxAge;
  }

  /** One pass: every table that needs it, one statement each; returns what was done. */
  async runOnce(): Promise<Upkeep[]> {
    const [settings] = await this.sql.query<VacuumSettings>(SETTINGS);
    if (!settings) throw new Error('vacuum: no settings read');
    if (this.freezeMaxAge !== undefined) settings.freezeMaxAge = this.freezeMaxAge;
    const plan = planUpkeep(await this.sql.query<TableReading>(TABLES), settings);
    for (const upkeep of plan) {
      await this.slot();
      await this.sql.exec(upkeepStatement(upkeep));
    }
    return plan;
  }
}
