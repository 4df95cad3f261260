// The only module that reads the environment. Every setting is validated
// here, documented with its default, and handed to the rest as one object.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  /** HTTP and WebSocket port. @default 4000 (0 = any free port) */
  PORT: int(0, 65535).default(4000),
  /** Interface to listen on. @default 0.0.0.0 */
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Folder for the embedded database and generated secrets. @default ./data */
  DATA_DIR: z.string().min(1).default('./data'),
  /** PostgreSQL URL; unset = embedded PGlite in DATA_DIR. @default unset */
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://').optional(),
  /** Connections per node to PostgreSQL. @default 10 */
  DATABASE_POOL_SIZE: int(1, 1000).default(10),
  /** Redis URL for fan-out; unset = in-process pub/sub. @default unset */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  /** development | production | test. Production turns off GraphiQL and introspection. @default development */
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** pino level. @default info */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Store a snapshot of a document every this many ops (0 = never). @default 100 */
  SNAPSHOT_EVERY: int(0, 1_000_000).default(100),
  /** Secret for signing access tokens (>= 32 chars). Unset in embedded mode: generated once into DATA_DIR. @default generated */
  AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Lifetime of an access token, seconds. @default 900 */
  ACCESS_TOKEN_TTL: int(30, 86_400).default(900),
  /** Lifetime of a refresh token (session), seconds. @default 2592000 (30 days) */
  REFRESH_TOKEN_TTL: int(60, 31_536_000).default(2_592_000),
  /** How long a presence lives without an update, milliseconds. @default 30000 */
  PRESENCE_TTL_MS: int(1_000, 3_600_000).default(30_000),
  /** Largest HTTP request body and WebSocket message, bytes. @default 1048576 */
  MAX_PAYLOAD_BYTES: int(1_024, 100 * 1024 * 1024).default(1024 * 1024),
});

type Env = z.infer<typeof schema>;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  redisUrl: string | undefined;
  mode: 'embedded' | 'scaled';
  env: Env['NODE_ENV'];
  production: boolean;
  logLevel: Env['LOG_LEVEL'];
  snapshotEvery: number;
  authSecret: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  presenceTtlMs: number;
  maxPayloadBytes: number;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parse<T extends z.ZodType>(shape: T, env: Record<string, string | undefined>): z.infer<T> {
  // An empty variable means unset (as in `DATABASE_URL= npm start`).
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = shape.safeParse(present);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`Invalid setting ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}

/** Just the database settings (for `npm run db:migrate`, which needs no secrets). */
export function loadDatabaseConfig(env: Record<string, string | undefined> = process.env) {
  const e = parse(schema.pick({ DATA_DIR: true, DATABASE_URL: true, DATABASE_POOL_SIZE: true }), env);
  return { dataDir: path.resolve(e.DATA_DIR), databaseUrl: e.DATABASE_URL, databasePoolSize: e.DATABASE_POOL_SIZE };
}

/**
 * Reads a Config from an environment. Throws ConfigError with a one-line
 * message naming the first bad setting.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const e = parse(schema, env);
  if (e.REDIS_URL && !e.DATABASE_URL) {
    throw new ConfigError('Invalid setting REDIS_URL: scaled mode needs DATABASE_URL too (nodes share PostgreSQL)');
  }
  const dataDir = path.resolve(e.DATA_DIR);
  let authSecret = e.AUTH_SECRET;
  if (!authSecret) {
    // Nodes of a cluster must share the secret, so scaled mode requires it.
    if (e.DATABASE_URL) throw new ConfigError('Invalid setting AUTH_SECRET: required when DATABASE_URL is set (all nodes must share it)');
    authSecret = embeddedSecret(dataDir);
  }
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    redisUrl: e.REDIS_URL,
    mode: e.DATABASE_URL ? 'scaled' : 'embedded',
    env: e.NODE_ENV,
    production: e.NODE_ENV === 'production',
    logLevel: e.LOG_LEVEL,
    snapshotEvery: e.SNAPSHOT_EVERY,
    authSecret,
    accessTokenTtl: e.ACCESS_TOKEN_TTL,
    refreshTokenTtl: e.REFRESH_TOKEN_TTL,
    presenceTtlMs: e.PRESENCE_TTL_MS,
    maxPayloadBytes: e.MAX_PAYLOAD_BYTES,
  };
}

/** A secret generated on first start and kept (mode 600) in DATA_DIR. */
function embeddedSecret(dataDir: string): string {
  const file = path.join(dataDir, 'auth-secret');
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    mkdirSync(dataDir, { recursive: true });
    const secret = randomBytes(48).toString('base64url');
    writeFileSync(file, secret + '\n', { mode: 0o600, flag: 'wx' });
    return secret;
  }
}
