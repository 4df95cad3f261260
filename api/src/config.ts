// The only module that reads the environment. Every setting is validated
// here, documented with its default, and handed to the rest as one object.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_DELTA_LIMITS as PARSER_CAPS } from '../../protocol/delta-validation.ts';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const bool = z.enum(['true', 'false', '1', '0', 'on', 'off']).transform((v) => v === 'true' || v === '1' || v === 'on');
/** A comma-separated list of origins such as https://app.example.com (scheme://host[:port], no path). */
const origins = z
  .string()
  .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
  .refine((list) => list.every((o) => /^https?:\/\/[^/\s]+$/.test(o)), 'must be origins like https://app.example.com, comma-separated');

/** ALLOWED_FORMATS by default (web/src/editor: its toolbar, and what Quill keeps from a paste). */
export const DEFAULT_ALLOWED_FORMATS = [
  ...['bold', 'italic', 'underline', 'strike', 'code', 'script', 'link', 'color', 'background', 'font', 'size'],
  ...['header', 'list', 'blockquote', 'code-block', 'indent', 'align', 'direction', 'image'],
];

const schema = z.object({
  /** HTTP and WebSocket port. @default 4000 (0 = any free port) */
  PORT: int(0, 65535).default(4000),
  /** Interface to listen on. @default 0.0.0.0 */
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Folder for the embedded database and generated secrets. @default ./data */
  DATA_DIR: z.string().min(1).default('./data'),
  /** PostgreSQL URL; unset = embedded PGlite in DATA_DIR. @default unset */
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://').optional(),
  /** Embedded mode: sync every commit to disk before acknowledging it (on), or leave that to the OS (off: faster; an OS crash or power loss can then lose the last acknowledged ops, a killed process cannot). @default on */
  EMBEDDED_FSYNC: z.enum(['on', 'off']).default('on'),
  /** Embedded mode: PostgreSQL's page cache (shared_buffers) inside the node, MiB. PGlite allocates and zeroes it at start, so all of it is resident memory at once; a page it misses is read from the OS's file cache, one system call. Raise it for a database much larger than the pages its live documents use. @default 32 */
  EMBEDDED_SHARED_BUFFERS_MB: int(1, 1024).default(32),
  /** Embedded mode: how often the node does autovacuum's work, which PGlite never starts (vacuum, freeze, analyze the tables that need it; store/pglite-vacuum.ts), milliseconds. @default 60000 */
  EMBEDDED_VACUUM_INTERVAL_MS: int(1_000, 86_400_000).default(60_000),
  /** Connections per node to PostgreSQL. @default 10 */
  DATABASE_POOL_SIZE: int(1, 1000).default(10),
  /** Redis URL for fan-out; unset = in-process pub/sub. @default unset */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  /** Redis Cluster instead of one Redis: seed nodes as host:port,host:port,... (any few of the cluster's nodes; the rest are discovered). Needs Redis >= 7 (sharded pub/sub). Not together with REDIS_URL. @default unset */
  REDIS_CLUSTER_NODES: z
    .string()
    .transform((v) => v.split(',').map((n) => n.trim()).filter(Boolean))
    .refine((list) => list.length > 0 && list.every((n) => /^[\w.-]+:\d{1,5}$/.test(n) && Number(n.split(':')[1]) <= 65535), 'must be host:port seed nodes, comma-separated')
    .transform((list) => list.map((n) => ({ host: n.slice(0, n.lastIndexOf(':')), port: Number(n.slice(n.lastIndexOf(':') + 1)) })))
    .optional(),
  /** development | production | test. Production turns off GraphiQL and introspection. @default development */
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  /** pino level. @default info */
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Store a snapshot of a document every this many ops (0 = never); a document over 512 KiB every n times as many, n = its size in 512 KiB steps (at most 16), as a snapshot is its whole content. @default 100 */
  SNAPSHOT_EVERY: int(0, 1_000_000).default(100),
  /** Log retention: drop ops older than this many days that lie at or below a snapshot (named versions stay readable; docs/protocol.md, "Log retention"). Unset = keep every op forever. @default unset */
  LOG_RETENTION_DAYS: int(1, 36_500).optional(),
  /** How often each node runs the retention pass, milliseconds (safe on several nodes at once). @default 3600000 (1 hour) */
  LOG_RETENTION_INTERVAL_MS: int(1_000, 86_400_000).default(3_600_000),
  /**
   * PostgreSQL: how the commits of a document written through several nodes
   * at once meet. `lock`: while another node writes it too, a commit takes
   * the document's row lock first and plans on top of the ops read under it
   * (never loses a race). `race`: each node commits optimistically, and the
   * loser re-reads and retries. A document written through one node commits
   * the same way under both. @default lock
   */
  SHARED_WRITES: z.enum(['lock', 'race']).default('lock'),
  /** Secret for signing access tokens (>= 32 chars). Unset in embedded mode: generated once into DATA_DIR. @default generated */
  AUTH_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** Lifetime of an access token, seconds. @default 900 */
  ACCESS_TOKEN_TTL: int(30, 86_400).default(900),
  /** Lifetime of a refresh token (session), seconds. @default 2592000 (30 days) */
  REFRESH_TOKEN_TTL: int(60, 31_536_000).default(2_592_000),
  /** How long a presence lives without an update, milliseconds. @default 30000 */
  PRESENCE_TTL_MS: int(1_000, 3_600_000).default(30_000),
  /** Prefix of every Redis key and channel (several deployments, or test runs, on one Redis). @default collab: */
  REDIS_PREFIX: z.string().regex(/^[\w:.-]{1,64}$/, 'must be 1-64 of letters, digits, _ : . -').default('collab:'),
  /** While pub/sub is down, how often live streams read the log instead, milliseconds. @default 250 */
  FALLBACK_POLL_MS: int(10, 60_000).default(250),
  /** How long a node trusts a session's liveness and a member's role without reading them again, milliseconds; every change is forgotten at once through the access bus, so this only bounds a change missed while Redis is down (writes are checked again in the commit). 0 = read on every request. @default 5000 */
  ACCESS_CACHE_MS: int(0, 60_000).default(5_000),
  /** How often each node stamps the event outbox without being woken, milliseconds: a coalesced CHANGED event (open for 1 s) goes out at most this much later. @default 200 */
  EVENTS_STAMP_MS: int(10, 60_000).default(200),
  /** How long document events (documentEvents) and finished webhook deliveries are kept, days; older ones are pruned (a resume from before them: BAD_USER_INPUT, reason EVENTS_PRUNED). @default 30 */
  EVENTS_RETENTION_DAYS: int(1, 36_500).default(30),
  /** How often each node prunes old events and deliveries, milliseconds. @default 3600000 (1 hour) */
  EVENTS_RETENTION_INTERVAL_MS: int(1_000, 86_400_000).default(3_600_000),
  /** Let webhooks point at loopback, private and link-local addresses (development and tests only: otherwise a webhook could reach the servers next to this one). @default false */
  WEBHOOK_ALLOW_PRIVATE_URLS: bool.default(false),
  /** Attempts at one webhook delivery before it is dead-lettered (status DEAD in the delivery log). @default 10 */
  WEBHOOK_MAX_ATTEMPTS: int(1, 100).default(10),
  /** Delay before the first retry of a failed webhook delivery, doubled per attempt (with jitter), milliseconds. @default 1000 */
  WEBHOOK_BACKOFF_MS: int(1, 3_600_000).default(1_000),
  /** Longest delay between two attempts at a webhook delivery, milliseconds. @default 3600000 (1 hour) */
  WEBHOOK_BACKOFF_MAX_MS: int(1, 86_400_000).default(3_600_000),
  /** How long a webhook receiver has to answer, milliseconds. @default 10000 */
  WEBHOOK_TIMEOUT_MS: int(100, 120_000).default(10_000),
  /** How long a node's claim on a webhook delivery lasts, milliseconds (more than WEBHOOK_TIMEOUT_MS): a node killed mid-delivery holds it no longer. @default 60000 */
  WEBHOOK_LEASE_MS: int(200, 3_600_000).default(60_000),
  /** How often each node looks for due webhook retries without being woken, milliseconds. @default 1000 */
  WEBHOOK_POLL_MS: int(10, 60_000).default(1_000),
  /** After each large request (over 64 KB: an HTTP body, or a WebSocket message starting a mutation), the node rests this many times as long as it took before the next one while people's small requests come (within the last second), so queued big machine-made edits take at most 1 / (1 + this) of its time from people. @default 1 */
  LARGE_BODY_REST: z.coerce.number().min(0).max(10).default(1),
  /** Largest HTTP request body and WebSocket message, bytes. @default 1048576 */
  MAX_PAYLOAD_BYTES: int(1_024, 100 * 1024 * 1024).default(1024 * 1024),
  /** Serve GET /metrics on this port (on HOST) instead of the API port; for the scraper's network. @default unset (the API port) */
  METRICS_PORT: int(0, 65535).optional(),
  /** Bearer token a scraper must send to read /metrics (>= 16 chars). In production /metrics needs METRICS_PORT or this; with neither it answers 404. @default unset (open in development and test) */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces').optional(),

  // --- Security (README "Security model") ---
  /** Other origins allowed to call the API from a browser (CORS) and to open its WebSocket. The API's own origin is always allowed. @default none */
  ALLOWED_ORIGINS: origins.default([]),
  /** Serve GraphiQL at /graphql. @default true, false when NODE_ENV=production */
  GRAPHIQL: bool.optional(),
  /** Answer introspection queries (__schema, __type), over HTTP and WebSocket. @default true, false when NODE_ENV=production */
  INTROSPECTION: bool.optional(),
  /** Take the client address for rate limits from the last X-Forwarded-For hop (set behind one reverse proxy). @default false */
  TRUST_PROXY: bool.default(false),
  /** Deepest selection nesting of an operation. @default 10 */
  MAX_QUERY_DEPTH: int(1, 1_000).default(10),
  /** Most aliases in an operation. @default 15 */
  MAX_QUERY_ALIASES: int(0, 10_000).default(15),
  /** Most lexical tokens in an operation document. @default 2000 */
  MAX_QUERY_TOKENS: int(10, 1_000_000).default(2_000),
  /** Highest cost of an operation (graphql-armor: objects 2, scalars 1, x1.5 per level, x`first` for lists; one page of 1000 ops costs ~30000). @default 50000 */
  MAX_QUERY_COST: int(1, 100_000_000).default(50_000),
  /** Most ops in one submitted delta (capped by the parser at 10000). @default 10000 */
  MAX_DELTA_OPS: int(1, PARSER_CAPS.maxOps).default(PARSER_CAPS.maxOps),
  /** Most bytes one delta may insert: UTF-8 bytes of its text plus JSON bytes of its embeds (capped by the parser at 1048576). @default 1000000 */
  MAX_DELTA_INSERT_BYTES: int(1, PARSER_CAPS.maxInsertBytes).optional(),
  /** Deprecated name of MAX_DELTA_INSERT_BYTES (it counted characters), read as bytes when that is unset. */
  MAX_DELTA_INSERT: int(1, PARSER_CAPS.maxInsertBytes).optional(),
  /** Largest single embed (an image, …), JSON bytes. An embed is a reference (a URL, a small inline picture), not storage: 64 KiB holds any URL and a pasted icon, and keeps one op from being mostly one blob. @default 65536 */
  MAX_EMBED_BYTES: int(16, PARSER_CAPS.maxEmbedBytes).default(65_536),
  /** Largest document, bytes: UTF-8 text plus the JSON of its embeds and formats (api/src/collab/content-bytes.ts); edits that would grow it past this are refused. @default 8388608 (8 MiB) */
  MAX_DOCUMENT_BYTES: int(1, 1_073_741_824).optional(),
  /** Deprecated name of MAX_DOCUMENT_BYTES (it counted characters), read as bytes when that is unset. */
  MAX_DOCUMENT_LENGTH: int(1, 1_073_741_824).optional(),
  /** Longest document title, UTF-8 bytes after trimming (200 characters of any script fit in 800). @default 800 */
  MAX_TITLE_BYTES: int(1, 65_536).default(800),
  /** Most bytes of content (document content, contentAt, op deltas) one GraphQL operation may return, over HTTP and per WebSocket operation or stream event: a field that would pass it fails with BAD_USER_INPUT (limit responseBytes). At least MAX_DOCUMENT_BYTES, or a full document could not be read. @default 33554432 (32 MiB) */
  MAX_RESPONSE_BYTES: int(1_024, 1_073_741_824).default(32 * 1024 * 1024),
  /** Formats (attribute names and embed types) a delta may use, comma-separated: the Quill formats the web editor makes or a paste brings in. Not video (an iframe) or formula (needs KaTeX). @default bold,italic,underline,strike,code,script,link,color,background,font,size,header,list,blockquote,code-block,indent,align,direction,image */
  ALLOWED_FORMATS: z
    .string()
    .transform((v) => v.split(',').map((f) => f.trim()).filter(Boolean))
    .refine((list) => list.every((f) => /^[A-Za-z][\w-]{0,63}$/.test(f)), 'must be format names (letters, digits, _ and -), comma-separated')
    .default(DEFAULT_ALLOWED_FORMATS),
  /** Most live subscriptions on one WebSocket. @default 50 */
  MAX_SUBSCRIPTIONS_PER_SOCKET: int(1, 10_000).default(50),
  /** An anonymous WebSocket (no token at connect, no refresh cookie) is closed with 4008 at the first of its checks, this many milliseconds apart, that finds no operation in progress. @default 30000 */
  ANONYMOUS_SOCKET_IDLE_MS: int(100, 3_600_000).default(30_000),
  /** Rate limits on (on) or all off (off: only for load tools and benchmarks; the tests keep them on). @default on */
  RATE_LIMITS: z.enum(['on', 'off']).default('on'),
  /** signUp + logIn attempts per client address per minute (generous: offices share one address). @default 100 */
  RATE_LIMIT_AUTH_PER_IP: int(1, 1_000_000).default(100),
  /** Failed logIn attempts per account (email) per minute, from all addresses together: bounds guessing from many addresses. Only failures count. @default 30 */
  RATE_LIMIT_AUTH_PER_ACCOUNT: int(1, 1_000_000).default(30),
  /** Failed logIn attempts per account from one client address per minute; a successful log-in from that address starts it again. Someone guessing from elsewhere cannot lock the owner out. @default 5 */
  RATE_LIMIT_AUTH_FAILURES_PER_ACCOUNT_IP: int(1, 1_000_000).default(5),
  // Rate budgets: RATE points in each second, plus a reserve of BURST points
  // renewed every minute; a client over both waits for the next second.
  /** submitOperation + restoreVersion calls per user per second. A client typing a real editing trace at full speed on one machine sends ~50-350 a second (one op in flight, later edits composed), a person typing ~10. @default 100 */
  RATE_LIMIT_SUBMIT_PER_USER_RATE: int(1, 1_000_000).default(100),
  /** Reserve of submissions per user above the rate, renewed every minute. @default 2000 */
  RATE_LIMIT_SUBMIT_PER_USER_BURST: int(0, 10_000_000).default(2_000),
  /** submitOperation + restoreVersion calls per client address per second (several users behind one address). @default 500 */
  RATE_LIMIT_SUBMIT_PER_IP_RATE: int(1, 1_000_000).default(500),
  /** Reserve of submissions per client address above the rate, renewed every minute. @default 10000 */
  RATE_LIMIT_SUBMIT_PER_IP_BURST: int(0, 10_000_000).default(10_000),
  /** submitOperation + restoreVersion + editDocument calls per API token per second: an agent's own budget, in place of its creator's submitPerUser (a runaway agent cannot starve its creator's typing). @default 20 */
  RATE_LIMIT_SUBMIT_PER_TOKEN_RATE: int(1, 1_000_000).default(20),
  /** Reserve of submissions per API token above the rate, renewed every minute. @default 600 */
  RATE_LIMIT_SUBMIT_PER_TOKEN_BURST: int(0, 10_000_000).default(600),
  /** createDocument calls per user per second. @default 2 */
  RATE_LIMIT_CREATE_PER_USER_RATE: int(1, 1_000_000).default(2),
  /** Reserve of createDocument calls per user above the rate, renewed every minute (an import of many documents). @default 100 */
  RATE_LIMIT_CREATE_PER_USER_BURST: int(0, 10_000_000).default(100),
  /** shareDocument + removeMember calls per user per second (each share looks an email up: this bounds that too). @default 1 */
  RATE_LIMIT_SHARE_PER_USER_RATE: int(1, 1_000_000).default(1),
  /** Reserve of shareDocument + removeMember calls per user above the rate, renewed every minute. @default 60 */
  RATE_LIMIT_SHARE_PER_USER_BURST: int(0, 10_000_000).default(60),
  /** Removed (it counted per minute): set RATE_LIMIT_SUBMIT_PER_USER_RATE and RATE_LIMIT_SUBMIT_PER_USER_BURST. */
  RATE_LIMIT_SUBMIT_PER_USER: z.string().optional(),
  /** Removed (it counted per minute): set RATE_LIMIT_SUBMIT_PER_IP_RATE and RATE_LIMIT_SUBMIT_PER_IP_BURST. */
  RATE_LIMIT_SUBMIT_PER_IP: z.string().optional(),
  /** WebSocket connections opened per user per minute. @default 60 */
  RATE_LIMIT_SOCKETS_PER_USER: int(1, 1_000_000).default(60),
  /** WebSocket connections opened per client address per minute. @default 300 */
  RATE_LIMIT_SOCKETS_PER_IP: int(1, 1_000_000).default(300),
  /** updatePresence calls per user per second: the web client sends at most 10 a second per tab (a second tab, a paste, a reconnect stay well inside); updates closer than 50 ms are coalesced anyway. @default 30 */
  RATE_LIMIT_PRESENCE_PER_USER_RATE: int(1, 1_000_000).default(30),
  /** Reserve of updatePresence calls per user above the rate, renewed every minute. @default 600 */
  RATE_LIMIT_PRESENCE_PER_USER_BURST: int(0, 10_000_000).default(600),
  /** Comment writes (open, reply, edit, delete, resolve, reopen a thread) per user per second. @default 2 */
  RATE_LIMIT_COMMENT_PER_USER_RATE: int(1, 1_000_000).default(2),
  /** Reserve of comment writes per user above the rate, renewed every minute. @default 30 */
  RATE_LIMIT_COMMENT_PER_USER_BURST: int(0, 10_000_000).default(30),
});

type Env = z.infer<typeof schema>;

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  databaseUrl: string | undefined;
  databasePoolSize: number;
  /** Embedded mode syncs every commit to disk before acknowledging it. */
  embeddedFsync: boolean;
  /** Embedded mode: PostgreSQL's shared_buffers, MiB. */
  embeddedSharedBuffersMb: number;
  /** Embedded mode: ms between the node's autovacuum passes. */
  embeddedVacuumIntervalMs: number;
  redisUrl: string | undefined;
  /** Seed nodes of a Redis Cluster (REDIS_CLUSTER_NODES); unset for a single Redis (redisUrl) or none. */
  redisClusterNodes: Array<{ host: string; port: number }> | undefined;
  mode: 'embedded' | 'scaled';
  env: Env['NODE_ENV'];
  production: boolean;
  logLevel: Env['LOG_LEVEL'];
  snapshotEvery: number;
  /** Log retention (store/log-retention.ts); null = keep every op. */
  logRetention: { days: number; intervalMs: number } | null;
  /** SHARED_WRITES: commits of a document that several nodes write take its lock (`lock`) or race (`race`). */
  sharedWrites: 'lock' | 'race';
  authSecret: string;
  accessTokenTtl: number;
  refreshTokenTtl: number;
  presenceTtlMs: number;
  fallbackPollMs: number;
  accessCacheMs: number;
  redisPrefix: string;
  maxPayloadBytes: number;
  /** Rest after a large request, as a multiple of its length (http/large-body-gate.ts). */
  largeBodyRest: number;
  /** Document events and webhooks (api/src/events, api/src/webhooks). */
  events: EventsConfig;
  /** Who may read /metrics (http/metrics-endpoint.ts). */
  metrics: { port: number | undefined; token: string | undefined };
  security: SecurityConfig;
}

export interface EventsConfig {
  stampMs: number;
  retentionDays: number;
  retentionIntervalMs: number;
  allowPrivateWebhookUrls: boolean;
  webhookMaxAttempts: number;
  webhookBackoffMs: number;
  webhookBackoffMaxMs: number;
  webhookTimeoutMs: number;
  webhookLeaseMs: number;
  webhookPollMs: number;
}

/** Points per second, plus a reserve of `burst` points renewed every minute (api/src/limits/rate-limits.ts). */
export interface RateBudget {
  perSecond: number;
  burst: number;
}

/** Budgets: a number is points per minute; `null` when RATE_LIMITS=off. */
export interface RateLimitConfig {
  authPerIp: number;
  /** Failed log-ins per account, from all addresses. */
  authPerAccount: number;
  /** Failed log-ins per account from one address (key `<email>_<address>`). */
  authFailuresPerAccountIp: number;
  submitPerUser: RateBudget;
  submitPerIp: RateBudget;
  /** Submissions per API token (key: the token's id). */
  submitPerToken: RateBudget;
  createPerUser: RateBudget;
  sharePerUser: RateBudget;
  socketsPerUser: number;
  socketsPerIp: number;
  presencePerUser: RateBudget;
  commentPerUser: RateBudget;
}

export interface SecurityConfig {
  allowedOrigins: string[];
  graphiql: boolean;
  introspection: boolean;
  trustProxy: boolean;
  maxQueryDepth: number;
  maxQueryAliases: number;
  maxQueryTokens: number;
  maxQueryCost: number;
  maxDeltaOps: number;
  /** Most bytes one delta inserts (text UTF-8 + embed JSON). */
  maxDeltaInsertBytes: number;
  maxEmbedBytes: number;
  maxDocumentBytes: number;
  maxTitleBytes: number;
  maxResponseBytes: number;
  allowedFormats: string[];
  maxSubscriptionsPerSocket: number;
  anonymousSocketIdleMs: number;
  rateLimits: RateLimitConfig | null;
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
  const e = parse(schema.pick({ DATA_DIR: true, DATABASE_URL: true, DATABASE_POOL_SIZE: true, EMBEDDED_FSYNC: true, EMBEDDED_SHARED_BUFFERS_MB: true }), env);
  return {
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    embeddedFsync: e.EMBEDDED_FSYNC === 'on',
    embeddedSharedBuffersMb: e.EMBEDDED_SHARED_BUFFERS_MB,
  };
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
  if (e.REDIS_CLUSTER_NODES && !e.DATABASE_URL) {
    throw new ConfigError('Invalid setting REDIS_CLUSTER_NODES: scaled mode needs DATABASE_URL too (nodes share PostgreSQL)');
  }
  if (e.REDIS_CLUSTER_NODES && e.REDIS_URL) {
    throw new ConfigError('Invalid setting REDIS_CLUSTER_NODES: set either REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both');
  }
  // A per-minute number read as per second would be 60 times looser: refuse it.
  for (const old of ['RATE_LIMIT_SUBMIT_PER_USER', 'RATE_LIMIT_SUBMIT_PER_IP'] as const) {
    if (e[old] !== undefined) throw new ConfigError(`Invalid setting ${old}: replaced by ${old}_RATE (per second) and ${old}_BURST (reserve per minute)`);
  }
  const maxDocumentBytes = e.MAX_DOCUMENT_BYTES ?? e.MAX_DOCUMENT_LENGTH ?? 8 * 1024 * 1024;
  if (e.MAX_RESPONSE_BYTES < maxDocumentBytes) {
    throw new ConfigError('Invalid setting MAX_RESPONSE_BYTES: must be at least MAX_DOCUMENT_BYTES, or a whole document could not be read');
  }
  // The cut stops at a snapshot: without snapshots there is nothing to cut at.
  if (e.LOG_RETENTION_DAYS !== undefined && e.SNAPSHOT_EVERY === 0) {
    throw new ConfigError('Invalid setting LOG_RETENTION_DAYS: needs snapshots (SNAPSHOT_EVERY > 0); the log is only cut at a snapshot');
  }
  if (e.WEBHOOK_LEASE_MS <= e.WEBHOOK_TIMEOUT_MS) {
    throw new ConfigError('Invalid setting WEBHOOK_LEASE_MS: must be more than WEBHOOK_TIMEOUT_MS, or a slow delivery would be sent twice at once');
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
    embeddedFsync: e.EMBEDDED_FSYNC === 'on',
    embeddedSharedBuffersMb: e.EMBEDDED_SHARED_BUFFERS_MB,
    embeddedVacuumIntervalMs: e.EMBEDDED_VACUUM_INTERVAL_MS,
    redisUrl: e.REDIS_URL,
    redisClusterNodes: e.REDIS_CLUSTER_NODES,
    mode: e.DATABASE_URL ? 'scaled' : 'embedded',
    env: e.NODE_ENV,
    production: e.NODE_ENV === 'production',
    logLevel: e.LOG_LEVEL,
    snapshotEvery: e.SNAPSHOT_EVERY,
    logRetention: e.LOG_RETENTION_DAYS === undefined ? null : { days: e.LOG_RETENTION_DAYS, intervalMs: e.LOG_RETENTION_INTERVAL_MS },
    sharedWrites: e.SHARED_WRITES,
    authSecret,
    accessTokenTtl: e.ACCESS_TOKEN_TTL,
    refreshTokenTtl: e.REFRESH_TOKEN_TTL,
    presenceTtlMs: e.PRESENCE_TTL_MS,
    fallbackPollMs: e.FALLBACK_POLL_MS,
    accessCacheMs: e.ACCESS_CACHE_MS,
    redisPrefix: e.REDIS_PREFIX,
    maxPayloadBytes: e.MAX_PAYLOAD_BYTES,
    largeBodyRest: e.LARGE_BODY_REST,
    events: {
      stampMs: e.EVENTS_STAMP_MS,
      retentionDays: e.EVENTS_RETENTION_DAYS,
      retentionIntervalMs: e.EVENTS_RETENTION_INTERVAL_MS,
      allowPrivateWebhookUrls: e.WEBHOOK_ALLOW_PRIVATE_URLS,
      webhookMaxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      webhookBackoffMs: e.WEBHOOK_BACKOFF_MS,
      webhookBackoffMaxMs: e.WEBHOOK_BACKOFF_MAX_MS,
      webhookTimeoutMs: e.WEBHOOK_TIMEOUT_MS,
      webhookLeaseMs: e.WEBHOOK_LEASE_MS,
      webhookPollMs: e.WEBHOOK_POLL_MS,
    },
    metrics: { port: e.METRICS_PORT, token: e.METRICS_TOKEN },
    security: {
      allowedOrigins: e.ALLOWED_ORIGINS,
      graphiql: e.GRAPHIQL ?? e.NODE_ENV !== 'production',
      introspection: e.INTROSPECTION ?? e.NODE_ENV !== 'production',
      trustProxy: e.TRUST_PROXY,
      maxQueryDepth: e.MAX_QUERY_DEPTH,
      maxQueryAliases: e.MAX_QUERY_ALIASES,
      maxQueryTokens: e.MAX_QUERY_TOKENS,
      maxQueryCost: e.MAX_QUERY_COST,
      maxDeltaOps: e.MAX_DELTA_OPS,
      maxDeltaInsertBytes: e.MAX_DELTA_INSERT_BYTES ?? e.MAX_DELTA_INSERT ?? 1_000_000,
      maxEmbedBytes: e.MAX_EMBED_BYTES,
      maxDocumentBytes,
      maxTitleBytes: e.MAX_TITLE_BYTES,
      maxResponseBytes: e.MAX_RESPONSE_BYTES,
      allowedFormats: e.ALLOWED_FORMATS,
      maxSubscriptionsPerSocket: e.MAX_SUBSCRIPTIONS_PER_SOCKET,
      anonymousSocketIdleMs: e.ANONYMOUS_SOCKET_IDLE_MS,
      rateLimits:
        e.RATE_LIMITS === 'off'
          ? null
          : {
              authPerIp: e.RATE_LIMIT_AUTH_PER_IP,
              authPerAccount: e.RATE_LIMIT_AUTH_PER_ACCOUNT,
              authFailuresPerAccountIp: e.RATE_LIMIT_AUTH_FAILURES_PER_ACCOUNT_IP,
              submitPerUser: { perSecond: e.RATE_LIMIT_SUBMIT_PER_USER_RATE, burst: e.RATE_LIMIT_SUBMIT_PER_USER_BURST },
              submitPerIp: { perSecond: e.RATE_LIMIT_SUBMIT_PER_IP_RATE, burst: e.RATE_LIMIT_SUBMIT_PER_IP_BURST },
              submitPerToken: { perSecond: e.RATE_LIMIT_SUBMIT_PER_TOKEN_RATE, burst: e.RATE_LIMIT_SUBMIT_PER_TOKEN_BURST },
              createPerUser: { perSecond: e.RATE_LIMIT_CREATE_PER_USER_RATE, burst: e.RATE_LIMIT_CREATE_PER_USER_BURST },
              sharePerUser: { perSecond: e.RATE_LIMIT_SHARE_PER_USER_RATE, burst: e.RATE_LIMIT_SHARE_PER_USER_BURST },
              socketsPerUser: e.RATE_LIMIT_SOCKETS_PER_USER,
              socketsPerIp: e.RATE_LIMIT_SOCKETS_PER_IP,
              presencePerUser: { perSecond: e.RATE_LIMIT_PRESENCE_PER_USER_RATE, burst: e.RATE_LIMIT_PRESENCE_PER_USER_BURST },
              commentPerUser: { perSecond: e.RATE_LIMIT_COMMENT_PER_USER_RATE, burst: e.RATE_LIMIT_COMMENT_PER_USER_BURST },
            },
    },
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
