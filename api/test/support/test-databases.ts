// Throw-away databases for tests: a PGlite in a fresh temp dir, or a fresh,
// uniquely named database on the PostgreSQL server named by DATABASE_URL
// (dropped again on dispose), so test runs never see each other's data.
// Test support only: the app itself never imports this.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { openDatabase, type Database } from '../../src/store/database.ts';
import { applyMigrations, MIGRATIONS_DIR } from '../../src/store/migrate.ts';
import { seedEmptyPGlite } from './pglite-template.ts';

export interface TempDatabase {
  db: Database;
  /** Closes the database and deletes its files or drops it. */
  dispose(): Promise<void>;
}

/** The PostgreSQL server for integration tests (CI sets it). */
const postgresUrl = process.env.DATABASE_URL || undefined;

let warned = false;

export async function openTempPGlite(): Promise<TempDatabase> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'collab-store-'));
  try {
    // An empty cluster copied in: a first start (initdb in a child process,
    // then the open) is tested where it is the subject, pglite-cluster.test.ts.
    await seedEmptyPGlite(dir);
    const db = await openDatabase({ dataDir: dir });
    return {
      db,
      dispose: async () => {
        try {
          await db.close();
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

/**
 * A fresh, uniquely named database on the server of `serverUrl`; `drop()`
 * removes it (WITH FORCE: a connection leaked by a failed test must not
 * keep it alive).
 */
export async function createTempPostgresDatabase(serverUrl: string, prefix = 'collab_test'): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

export async function openTempPostgres(serverUrl: string): Promise<TempDatabase> {
  const temp = await createTempPostgresDatabase(serverUrl);
  try {
    const db = await openDatabase({ databaseUrl: temp.url, dataDir: os.tmpdir(), poolSize: 4 });
    return {
      db,
      dispose: async () => {
        try {
          await db.close();
        } finally {
          await temp.drop();
        }
      },
    };
  } catch (err) {
    await temp.drop();
    throw err;
  }
}

/**
 * The PostgreSQL server for integration tests (CI sets DATABASE_URL), or
 * undefined after saying once per test file that those tests are skipped.
 */
export function postgresTestUrl(): string | undefined {
  if (!postgresUrl && !warned) {
    warned = true;
    console.warn('DATABASE_URL is not set: PostgreSQL store tests are skipped.');
  }
  return postgresUrl;
}

/** Suffix for the name of a suite that is skipped without DATABASE_URL. */
export const SKIPPED_WITHOUT_URL = postgresUrl ? '' : ' (set DATABASE_URL to run)';

/**
 * One database for the calling suite, opened with `open` and migrated before
 * its tests, disposed after them. Read `db` inside tests and hooks (hooks
 * the suite registers after this call run after the database is ready).
 */
export function migratedDatabase(open: () => Promise<TempDatabase>): { readonly db: Database } {
  let temp: TempDatabase | undefined;
  beforeAll(async () => {
    const opened = await open();
    try {
      await applyMigrations(opened.db.sql, MIGRATIONS_DIR);
    } catch (err) {
      await opened.dispose();
      throw err;
    }
    temp = opened;
  });
  afterAll(async () => {
    await temp?.dispose();
  });
  return {
    get db() {
      if (!temp) throw new Error('migratedDatabase: the database is read before its suite started');
      return temp.db;
    },
  };
}
