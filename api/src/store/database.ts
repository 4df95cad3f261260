// The Prisma client factory: embedded PGlite (files under <dataDir>/pglite)
// or PostgreSQL through a pg pool. Both modes expose the same `Database`,
// plus a tiny raw-SQL runner for migrations and health checks, which must
// not go through Prisma (they run before the schema exists, and need
// session-level state such as advisory locks).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { PGlite, Transaction as PGliteTransaction } from '@electric-sql/pglite';
import type pg from 'pg';
import type { WalSyncs } from './pglite-durability.ts';
import { PrismaClient } from './generated/client.ts';

/** Plain SQL on whatever connection the runner picks. */
export interface SqlSession {
  /** One statement with `$1…` parameters; returns its rows. */
  query<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Several `;`-separated statements without parameters (simple query protocol). */
  exec(sql: string): Promise<void>;
}

/** One dedicated connection: session state (advisory locks) stays on it. */
export interface SqlConnection extends SqlSession {
  /**
   * Several `;`-separated statements without parameters in one round trip
   * (simple query protocol); the rows of each statement, in order. Values
   * go in as literals (sqlLiteral). For a transaction that must hold a lock
   * across a step in this process in as few round trips as it can
   * (operation-log.ts, appendLocked).
   */
  script(sql: string): Promise<Array<Record<string, unknown>[]>>;
  /** BEGIN … COMMIT on this connection; ROLLBACK and rethrow if `fn` throws. */
  transaction<T>(fn: (tx: SqlSession) => Promise<T>): Promise<T>;
}

/** `name` when it may name a prepared statement (it goes into PREPARE and EXECUTE as it is). */
function statementName(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new RangeError(`prepared: ${JSON.stringify(name)} is not a plain SQL name`);
  return name;
}

/**
 * A value as an SQL literal, for SqlConnection.script: strings quoted (the
 * E'' form when they hold a backslash, right whatever
 * standard_conforming_strings says), finite numbers as they are, null as NULL.
 */
export function sqlLiteral(value: string | number | null): string {
  if (value === null) return 'NULL';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('sqlLiteral: not a finite number');
    return String(value);
  }
  const quoted = `'${value.replaceAll("'", "''")}'`;
  return value.includes('\\') ? `E${quoted.replaceAll('\\', '\\\\')}` : quoted;
}

/**
 * A statement the database parses and plans once per connection, under
 * `name` (an SQL identifier), instead of once per call. Its parameters
 * ($1…) take their types from casts in `text` ($1::jsonb).
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

export interface SqlRunner extends SqlSession {
  /**
   * Statements without parameters, values as literals (sqlLiteral), in one
   * round trip over the simple query protocol; the rows of each statement.
   * Cheaper than query() for a statement run once per commit: no separate
   * parse, bind and describe steps (PGlite runs each in this thread).
   */
  script(sql: string): Promise<Array<Record<string, unknown>[]>>;
  /**
   * Runs a prepared statement with `params`; its rows. For the op log's
   * commits, the same two statements many times a second: parsing and
   * planning them each time cost 60-90 µs of CPU per commit, in PGlite
   * (this thread) and in PostgreSQL alike (bench/README). Embedded, a
   * commit's WAL sync is handled as script's is.
   */
  prepared(statement: PreparedStatement, params: readonly (string | number | null)[]): Promise<Record<string, unknown>[]>;
  /** Resolves once no commit's WAL sync is under way (embedded, pglite-durability.ts). */
  settled?(): Promise<void>;
  /** Runs `fn` on one connection that nothing else uses until it settles. */
  withConnection<T>(fn: (conn: SqlConnection) => Promise<T>): Promise<T>;
}

export interface Database {
  prisma: PrismaClient;
  kind: 'pglite' | 'postgres';
  sql: SqlRunner;
  /** Throws unless the database answers `SELECT 1` (for /readyz). */
  ping(): Promise<void>;
  /** Disconnects Prisma, then closes the pool or PGlite. Idempotent. */
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** PostgreSQL URL; without it the embedded PGlite is used. */
  databaseUrl?: string | undefined;
  /** Root of local data; PGlite keeps its files in `<dataDir>/pglite`. */
  dataDir: string;
  /**
   * PGlite only: sync every commit to disk before it returns (pglite-durability.ts).
   * Off, a commit survives the process being killed, not an OS crash or power loss.
   * @default true
   */
  embeddedFsync?: boolean | undefined;
  /**
   * PGlite only: PostgreSQL's page cache (shared_buffers), MiB. PGlite
   * allocates and zeroes it at start, so it is resident memory whether used
   * or not; pages it misses come from the OS's file cache. PGlite's own
   * is 128: at 32 an idle node holds ~116 MiB less, at no cost the bench
   * could measure (bench/README, "Idle connections: where the bytes went").
   * @default 32
   */
  embeddedSharedBuffersMb?: number | undefined;
  /** Most pooled PostgreSQL connections (shared by Prisma and `sql`). @default 10 */
  poolSize?: number | undefined;
  /**
   * Called when an idle pooled connection fails (e.g. the server restarted).
   * pg emits these on the pool, and an unhandled 'error' event would crash
   * the process; the pool has already discarded the connection.
   * @default ignore
   */
  onPoolError?: ((err: Error) => void) | undefined;
}

export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  return opts.databaseUrl ? openPostgres(opts.databaseUrl, opts) : openPGlite(opts.dataDir, opts.embeddedFsync ?? true, opts.embeddedSharedBuffersMb ?? 32);
}

/** Runs `close` once; later calls share the first call's promise. */
function once(close: () => Promise<void>): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => (closing ??= close());
}

/**
 * PostgreSQL's memory inside PGlite, whose WebAssembly memory only grows:
 * shared_buffers is allocated and zeroed at start (PGlite's shared memory
 * is plain memory), so its whole size counts in the node's RSS from then on.
 */
export function memoryStartParams(sharedBuffersMb: number): string[] {
  return ['-c', `shared_buffers=${sharedBuffersMb}MB`];
}

async function openPGlite(dataDir: string, fsync: boolean, sharedBuffersMb: number): Promise<Database> {
  // Loaded here, not with this module: a node on PostgreSQL never needs them (~11 MiB of its RSS).
  const [{ PGlite }, { PrismaPGlite }, { createCluster, hasCluster }, { checkDurable, durableStartParams, syncPath, syncThroughToDisk, syncTree }, { keepColumnParsers }] =
    await Promise.all([
      import('@electric-sql/pglite'),
      import('pglite-prisma-adapter'),
      import('./pglite-cluster.ts'),
      import('./pglite-durability.ts'),
      import('./pglite-parsers.ts'),
    ]);
  const dir = path.resolve(dataDir, 'pglite');
  await mkdir(path.dirname(dir), { recursive: true });
  const startParams = [...(fsync ? durableStartParams() : PGlite.defaultStartParams), ...memoryStartParams(sharedBuffersMb)];
  const created = !(await hasCluster(dir));
  if (created) await createCluster(dir, startParams);
  const db = await PGlite.create({ dataDir: dir, startParams });
  let wal: WalSyncs | null = null;
  if (fsync) {
    try {
      wal = syncThroughToDisk(db);
      await checkDurable(db);
      await syncTree(dir);
      // The new cluster's name in its parent, too.
      if (created) syncPath(path.dirname(dir));
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  // Each statement's result copied PGlite's whole parser table (pglite-parsers.ts).
  await keepColumnParsers(db);
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(db) });

  const session = (q: PGlite | PGliteTransaction): SqlSession => ({
    query: async <T>(text: string, params?: readonly unknown[]) =>
      (await q.query<T>(text, params ? [...params] : undefined)).rows,
    exec: async (text: string) => {
      await q.exec(text);
    },
  });
  const root = session(db);
  // PGlite is a single backend: every caller already shares one connection.
  // `transaction` takes PGlite's transaction mutex, so queries from Prisma
  // issued meanwhile wait instead of landing inside our transaction.
  const connection: SqlConnection = {
    ...root,
    script: async (text) => (await db.exec(text)).map((r) => r.rows as Record<string, unknown>[]),
    transaction: (fn) => db.transaction((tx) => fn(session(tx))),
  };
  // Session state is shared too: pg_advisory_lock is re-entrant within a
  // session, so it cannot keep two in-process callers apart. Queue them
  // instead, making withConnection exclusive as it is with a pool.
  let queue: Promise<unknown> = Promise.resolve();
  // The op log's commits: their WAL syncs run off this thread, shared by the
  // commits that arrive meanwhile; the script still resolves only once its
  // commit is on disk (pglite-durability.ts).
  const durableScript: SqlRunner['script'] = wal ? (text) => wal.deferred(() => connection.script(text)) : connection.script;
  // PGlite's extended protocol runs parse, bind and describe as separate
  // steps, each a call into Postgres from this thread, so prepared
  // statements are SQL's own PREPARE and EXECUTE, one simple query each.
  const preparing = new Map<string, { text: string; done: Promise<unknown> }>();
  const prepare = ({ name, text }: PreparedStatement) => {
    const known = preparing.get(name);
    if (known) {
      // As pg refuses it: one name, one statement.
      if (known.text !== text) throw new RangeError(`prepared: ${JSON.stringify(name)} already names another statement`);
      return known.done;
    }
    const done = db.exec(`PREPARE ${statementName(name)} AS ${text}`);
    // A failed PREPARE is tried again by the next call.
    done.catch(() => preparing.delete(name));
    preparing.set(name, { text, done });
    return done;
  };
  const sql: SqlRunner = {
    ...root,
    script: durableScript,
    prepared: async (statement, params) => {
      await prepare(statement);
      // EXECUTE takes no parentheses without parameters.
      const values = params.length > 0 ? `(${params.map(sqlLiteral).join(', ')})` : '';
      const [rows] = await durableScript(`EXECUTE ${statement.name}${values}`);
      return rows ?? [];
    },
    ...(wal && { settled: () => wal.flush() }),
    withConnection: (fn) => {
      const run = queue.then(() => fn(connection));
      queue = run.catch(() => {});
      return run;
    },
  };

  return {
    prisma,
    kind: 'pglite',
    sql,
    ping: async () => {
      await root.query('SELECT 1');
    },
    close: once(async () => {
      try {
        await prisma.$disconnect();
      } finally {
        await db.close();
        await wal?.dispose();
      }
    }),
  };
}

async function openPostgres(connectionString: string, opts: DatabaseOptions): Promise<Database> {
  // Loaded here, as PGlite is in openPGlite: an embedded node never needs them.
  const [{ default: pg }, { PrismaPg }] = await Promise.all([import('pg'), import('@prisma/adapter-pg')]);
  // One pool for Prisma and for raw SQL, so `poolSize` bounds the node's
  // connections. PrismaPg does not end a pool it was given; close() does.
  const pool = new pg.Pool({ connectionString, max: opts.poolSize ?? 10 });
  pool.on('error', opts.onPoolError ?? (() => {}));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });

  const session = (q: pg.Pool | pg.PoolClient): SqlSession => ({
    query: async <T>(text: string, params?: readonly unknown[]) =>
      (await q.query(text, params ? [...params] : undefined)).rows as T[],
    // Without parameters pg uses the simple query protocol, which accepts
    // several statements in one string.
    exec: async (text: string) => {
      await q.query(text);
    },
  });

  // Without parameters pg uses the simple query protocol: one result per statement.
  const script = async (q: pg.Pool | pg.PoolClient, text: string) => {
    const results: pg.QueryResult | pg.QueryResult[] = await q.query(text);
    return (Array.isArray(results) ? results : [results]).map((r) => r.rows as Record<string, unknown>[]);
  };
  const sql: SqlRunner = {
    ...session(pool),
    script: (text) => script(pool, text),
    // pg keeps a named statement prepared on each connection that has run it.
    prepared: async ({ name, text }, params) => (await pool.query({ name: statementName(name), text, values: [...params] })).rows as Record<string, unknown>[],
    withConnection: async (fn) => {
      const client = await pool.connect();
      const conn: SqlConnection = {
        ...session(client),
        script: (text) => script(client, text),
        transaction: async (body) => {
          await client.query('BEGIN');
          try {
            const result = await body(session(client));
            await client.query('COMMIT');
            return result;
          } catch (err) {
            // The original error matters, not a failed ROLLBACK on a broken link.
            await client.query('ROLLBACK').catch(() => {});
            throw err;
          }
        },
      };
      let failure: Error | undefined;
      try {
        return await fn(conn);
      } catch (err) {
        failure = err instanceof Error ? err : new Error('withConnection failed');
        throw err;
      } finally {
        // After a failure the connection may still hold session state (an
        // open transaction, an advisory lock whose unlock failed): releasing
        // it with the error destroys it instead of returning it to the pool,
        // which also makes the server drop its locks.
        client.release(failure);
      }
    },
  };

  return {
    prisma,
    kind: 'postgres',
    sql,
    ping: async () => {
      await sql.query('SELECT 1');
    },
    close: once(async () => {
      try {
        await prisma.$disconnect();
      } finally {
        await pool.end();
      }
    }),
  };
}
