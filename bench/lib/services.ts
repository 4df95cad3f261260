// PostgreSQL and Redis for the scaled modes: whether they are reachable,
// a fresh database per server run (dropped afterwards), and versions for
// the report.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

export const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/test';
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export interface Services {
  databaseUrl: string;
  redisUrl: string;
  postgresVersion: string;
  redisVersion: string;
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** PostgreSQL and Redis if both answer, else null (the scaled rows are then skipped). */
export async function probeServices(databaseUrl = process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL, redisUrl = process.env.REDIS_URL ?? DEFAULT_REDIS_URL): Promise<Services | null> {
  try {
    const postgresVersion = await withClient(databaseUrl, async (c) => (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]!.server_version);
    const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    try {
      await redis.connect();
      const info = await redis.info('server');
      const redisVersion = /redis_version:(\S+)/.exec(info)?.[1] ?? '?';
      return { databaseUrl, redisUrl, postgresVersion, redisVersion };
    } finally {
      redis.disconnect();
    }
  } catch {
    return null;
  }
}

export interface TempDatabase {
  url: string;
  /** Runs SQL in this database. */
  query<T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** A fresh database on the server of `serverUrl`, so that runs never see each other's data. */
export async function createTempDatabase(serverUrl: string, label: string): Promise<TempDatabase> {
  const name = `bench_${label}_${randomBytes(5).toString('hex')}`;
  await withClient(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  // An idle connection that fails (the server dropped it) must not crash the bench.
  pool.on('error', () => {});
  return {
    url: url.toString(),
    query: async (sql, params) => (await pool.query(sql, params)).rows,
    async drop() {
      await pool.end();
      await withClient(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** A Redis key/channel prefix of this run's own. */
export const uniquePrefix = (label: string) => `bench-${label}-${randomBytes(4).toString('hex')}:`;

/** The settings that make one of our nodes scaled on `db` and the services' Redis, under a key prefix of its own (several nodes given the same object share it all). */
export const scaledNodeEnv = (db: TempDatabase, services: Services, label: string): Record<string, string> => ({
  DATABASE_URL: db.url,
  REDIS_URL: services.redisUrl,
  REDIS_PREFIX: uniquePrefix(label),
  AUTH_SECRET: randomBytes(32).toString('hex'),
});
