// Applies prisma/migrations the way `prisma migrate deploy` does, and records
// them in the same `_prisma_migrations` table, so the real Prisma CLI can
// take over wherever its native engine is available (and vice versa).
import { createHash, randomUUID } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SqlConnection, SqlRunner } from './database.ts';

/** The committed migrations of this project (`prisma/migrations`). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../prisma/migrations', import.meta.url));

/** The key Prisma's migrate commands lock on, so that they and we exclude each other. */
const PRISMA_MIGRATE_LOCK = 72707369;

// Prisma's own definition of the table, column for column.
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface MigrationFile {
  name: string;
  sql: string;
  /** Lowercase hex SHA-256 of the file's bytes, as Prisma computes it. */
  checksum: string;
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

/** The migration directories (those holding a migration.sql), in name order. */
async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  // Prisma orders by directory name; the timestamp prefix makes that chronological.
  names.sort();
  const files: MigrationFile[] = [];
  for (const name of names) {
    let bytes: Buffer;
    try {
      bytes = await readFile(path.join(dir, name, 'migration.sql'));
    } catch (err) {
      if (err instanceof Error && 'code' in err && err.code === 'ENOENT') continue;
      throw err;
    }
    files.push({ name, sql: bytes.toString('utf8'), checksum: createHash('sha256').update(bytes).digest('hex') });
  }
  return files;
}

/**
 * Applies every migration in `migrationsDir` that the database has not
 * recorded, in name order, each in its own transaction together with its
 * `_prisma_migrations` row. Returns the names applied (empty when up to date).
 *
 * Refuses to run while a migration is recorded as started but neither
 * finished nor rolled back (what Prisma calls a failed migration): the
 * schema is in an unknown state and a person must resolve it first.
 */
export async function applyMigrations(
  sql: SqlRunner,
  migrationsDir: string,
  log: (msg: string) => void = () => {},
): Promise<string[]> {
  const files = await readMigrations(migrationsDir);
  // The advisory lock is held by a session, so everything below must run
  // on one connection; with a pool, another connection would not hold it.
  return sql.withConnection(async (conn) => {
    // Several nodes may start at once: the lock serialises them, and the
    // losers then find everything recorded. It is taken before creating the
    // table because concurrent CREATE TABLE IF NOT EXISTS can still collide.
    await conn.query(`SELECT pg_advisory_lock(${PRISMA_MIGRATE_LOCK})`);
    const unlock = () => conn.query(`SELECT pg_advisory_unlock(${PRISMA_MIGRATE_LOCK})`);
    let done: string[];
    try {
      await conn.exec(CREATE_MIGRATIONS_TABLE);
      done = await applyPending(conn, files, log);
    } catch (err) {
      // Report the migration's error, not a failed unlock; withConnection
      // discards a connection whose callback failed, which frees the lock.
      await unlock().catch(() => {});
      throw err;
    }
    await unlock();
    return done;
  });
}

async function applyPending(conn: SqlConnection, files: MigrationFile[], log: (msg: string) => void): Promise<string[]> {
  const rows = await conn.query<MigrationRow>(
    'SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at',
  );

  const unfinished = rows.filter((r) => r.finished_at === null && r.rolled_back_at === null);
  if (unfinished.length > 0) {
    const names = unfinished.map((r) => r.migration_name).join(', ');
    throw new Error(
      `Refusing to migrate: migration ${names} started but never finished, so the schema is in an unknown state. ` +
        'Repair the database by hand, then mark it with `prisma migrate resolve --applied <name>` or `--rolled-back <name>`.',
    );
  }

  // A rolled-back row does not count: Prisma applies that migration again.
  const applied = new Map<string, string>();
  for (const r of rows) if (r.finished_at !== null && r.rolled_back_at === null) applied.set(r.migration_name, r.checksum);

  const known = new Set(files.map((f) => f.name));
  for (const name of applied.keys()) {
    if (!known.has(name)) log(`warning: migration ${name} is recorded in the database but missing from the migrations directory`);
  }

  const done: string[] = [];
  for (const file of files) {
    const recorded = applied.get(file.name);
    if (recorded !== undefined) {
      if (recorded !== file.checksum) {
        log(`warning: migration ${file.name} was modified after it was applied (checksum differs); it is not applied again`);
      }
      continue;
    }
    log(`applying migration ${file.name}`);
    try {
      // Row, script and completion commit together: a failure leaves no
      // trace (no half-finished row) and the next run simply tries again.
      // started_at takes now() (transaction start); finished_at takes the
      // wall clock after the script, so the pair shows how long it ran.
      await conn.transaction(async (tx) => {
        const id = randomUUID();
        await tx.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at) VALUES ($1, $2, $3, now())', [
          id,
          file.checksum,
          file.name,
        ]);
        await tx.exec(file.sql);
        await tx.query(
          'UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1',
          [id],
        );
      });
    } catch (err) {
      throw new Error(`Migration ${file.name} failed and was rolled back`, { cause: err });
    }
    done.push(file.name);
  }
  return done;
}
