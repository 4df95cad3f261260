// A system under test in one mode: ours (embedded: PGlite + in-process
// pub/sub; scaled: PostgreSQL + Redis) or ShareDB (memory db + in-process
// pub/sub; sharedb-postgres + sharedb-redis-pubsub). Each launch gets fresh
// storage (temp dir, new database, new Redis prefix), removed by dispose().
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { seedEmptyPGlite } from '../../api/test/support/pglite-template.ts';
import type { DeltaOp } from '../../web/src/sync/index.ts';
import { dropKeptConnections, OursApi, type Writer } from './ours.ts';
import { ROOT, startOurNode, startShareDbServer, type ServerProcess } from './processes.ts';
import { createTempDatabase, scaledNodeEnv, uniquePrefix, type Services, type TempDatabase } from './services.ts';
import { ShareDbApi } from './sharedb.ts';

export type SystemName = 'ours' | 'sharedb';
export type Mode = 'embedded' | 'scaled';

export const LABELS: Record<SystemName, Record<Mode, string>> = {
  ours: { embedded: 'ours (embedded)', scaled: 'ours (PostgreSQL + Redis)' },
  sharedb: { embedded: 'ShareDB (memory)', scaled: 'ShareDB (sharedb-postgres + redis)' },
};

export interface Watcher {
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Write a V8 CPU profile of the server process into this folder. */
  cpuProfDir?: string;
  /** Let the bench trigger full GCs in the server (memory workloads). */
  gcOnSignal?: boolean;
  /**
   * Start the server with --no-flush-bytecode, for a difference of two heap
   * readings (idle connections). V8 drops a function's bytecode, and the
   * literals it holds, once it has sat unused through six natural GCs (forced
   * ones do not count), so such a difference depended on how many happened
   * between the readings. In our server one such literal is Prisma's query
   * compiler as a 4.6 MB base64 string: freed between the two readings in
   * about one run in four, it took 3.8 MB off the difference. Rows that read
   * memory as it is (RSS after the steady load) leave V8 its flushing, as
   * production does.
   */
  keepBytecode?: boolean;
  /**
   * Ours, scaled only: this many identical nodes on one database and one
   * Redis prefix; writers and watchers are spread over them round robin.
   * @default 1
   */
  nodes?: number;
  /** Lets the bench read each of our nodes' /metrics (sets METRICS_TOKEN). */
  metricsToken?: string;
  /** More environment for our nodes (e.g. SHARED_WRITES). */
  env?: Record<string, string>;
}

export interface Target {
  system: SystemName;
  mode: Mode;
  server: ServerProcess;
  /** Every server process of this target (ours may run several nodes). */
  servers: readonly ServerProcess[];
  createDocument(content: DeltaOp[]): Promise<string>;
  /** With `presence`, the writer also subscribes to the others' cursors and `setCursor` sends its own. */
  openWriter(documentId: string, options?: { presence?: boolean }): Promise<Writer>;
  /** What machine-made edits use: ours, an API token of the same user; ShareDB has no tokens (null). */
  agentToken(): Promise<string | null>;
  /** Watches from the current head on; resolves once the subscription was sent (ours) or confirmed (ShareDB). */
  openWatcher(documentId: string, onOp: (version: number) => void, options?: { presence?: boolean }): Promise<Watcher>;
  /** A fresh client opens the document: content in hand, live subscription started. */
  open(documentId: string): Promise<{ version: number; text: string; close(): Promise<void> }>;
  /** Writes a history of `ops` (whose result is `content`) straight into the store, for a new document id. */
  seed(ops: DeltaOp[][], texts: (version: number) => string | undefined): Promise<string>;
  /** Ours, scaled: SQL on the node's own database (probes read table and index sizes). */
  sql?: (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;
  /** Stops and starts the server on the same data (ours: cold caches); nothing to do while it has served nothing since its start. */
  restart(): Promise<void>;
  dispose(): Promise<void>;
}

const SERVER_ENV = { LOG_LEVEL: 'warn', NODE_ENV: 'production', RATE_LIMITS: 'off', ACCESS_TOKEN_TTL: '86400' };

function processOptions(options: LaunchOptions, env: Record<string, string>) {
  const nodeArgs = [...(options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : []), ...(options.keepBytecode ? ['--no-flush-bytecode'] : [])];
  return { env, nodeArgs, gcOnSignal: options.gcOnSignal ?? false };
}

export async function launch(system: SystemName, mode: Mode, services: Services | null, options: LaunchOptions = {}): Promise<Target> {
  if (mode === 'scaled' && !services) throw new Error('scaled mode needs PostgreSQL and Redis');
  return system === 'ours' ? launchOurs(mode, services, options) : launchShareDb(mode, services, options);
}

const seedOpsJson = (ops: DeltaOp[][], from: number, to: number) => JSON.stringify(ops.slice(from, to).map((d, i) => ({ v: from + i + 1, d: { ops: d } })));

async function launchOurs(mode: Mode, services: Services | null, options: LaunchOptions): Promise<Target> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-ours-'));
  const db: TempDatabase | null = mode === 'scaled' ? await createTempDatabase(services!.databaseUrl, 'ours') : null;
  // Embedded: an empty PGlite cluster copied in, not made by initdb at start (no
  // row measures start-up; the node still applies its migrations to it).
  if (!db) await seedEmptyPGlite(dataDir);
  const env: Record<string, string> = {
    ...SERVER_ENV,
    DATA_DIR: dataDir,
    ...(db && scaledNodeEnv(db, services!, 'ours')),
  };
  if ((options.nodes ?? 1) > 1 && !db) throw new Error('several nodes need the scaled mode');
  if (options.metricsToken) env.METRICS_TOKEN = options.metricsToken;
  Object.assign(env, options.env);
  let server = await startOurNode(processOptions(options, env));
  let api = await OursApi.signUp(server.url);
  // Further nodes on the same database and Redis prefix; one account, whose
  // token every node accepts (same AUTH_SECRET). Clients go round robin.
  const others: ServerProcess[] = [];
  try {
    for (let i = 1; i < (options.nodes ?? 1); i++) others.push(await startOurNode(processOptions(options, env)));
  } catch (error) {
    await Promise.allSettled([server.stop(), ...others.map((o) => o.stop())]);
    throw error;
  }
  const apis = [api, ...others.map((o) => new OursApi(o.url, api.token))];
  // True while the node has served nothing since it (re)started, so its caches
  // are as cold as a restart would leave them (embedded seed() restarts it).
  let untouched = false;
  const touch = () => {
    untouched = false;
    return api;
  };
  let writersOpened = 0;
  let watchersOpened = 0;

  /** Runs SQL on the node's database; embedded: only while the node is stopped (PGlite is single-process). */
  async function withSql<T>(fn: (query: (sql: string, params?: unknown[]) => Promise<unknown[]>) => Promise<T>): Promise<T> {
    if (db) return fn((sql, params) => db.query(sql, params));
    const pglite = await PGlite.create({ dataDir: path.join(dataDir, 'pglite') });
    try {
      return await fn(async (sql, params) => (await pglite.query(sql, params)).rows);
    } finally {
      await pglite.close();
    }
  }

  const target: Target = {
    system: 'ours',
    mode,
    get server() {
      return server;
    },
    get servers() {
      return [server, ...others];
    },
    createDocument: (content) => touch().createDocument(content),
    openWriter: (id, writerOptions) => (others.length === 0 ? touch() : (touch(), apis[writersOpened++ % apis.length]!)).openWriter(id, writerOptions),
    agentToken: () => touch().createApiToken('bench agent'),
    ...(db && { sql: (sql: string, params?: unknown[]) => db.query(sql, params) }),
    async openWatcher(id, onOp, watcherOptions) {
      const on = others.length === 0 ? touch() : (touch(), apis[watchersOpened++ % apis.length]!);
      const head = await on.head(id);
      return on.openWatcher(id, head.version, onOp, watcherOptions);
    },
    async open(id) {
      // What DocumentSync.open does: the head over HTTP, then the stream from it.
      const head = await touch().head(id);
      const watcher = api.openWatcher(id, head.version, () => {});
      return { version: head.version, text: head.content.ops.map((op) => (typeof op.insert === 'string' ? op.insert : '')).join(''), close: () => watcher.close() };
    },
    async seed(ops, texts) {
      const id = await touch().createDocument([]);
      const wasRunning = mode === 'embedded';
      if (wasRunning) await server.stop();
      await withSql(async (query) => {
        for (let from = 0; from < ops.length; from += 5_000) {
          await query(
            `INSERT INTO "Operation" ("documentId", "version", "delta", "clientId", "clientSeq")
             SELECT $1, (e->>'v')::int, e->'d', 'seed', (e->>'v')::int FROM jsonb_array_elements($2::jsonb) AS e`,
            [id, seedOpsJson(ops, from, Math.min(ops.length, from + 5_000))],
          );
        }
        // Snapshots as the node writes them (SNAPSHOT_EVERY=100 by default).
        const snapshots: Array<{ v: number; c: { ops: DeltaOp[] } }> = [];
        for (let v = 100; v <= ops.length; v += 100) {
          const text = texts(v);
          if (text !== undefined) snapshots.push({ v, c: { ops: text ? [{ insert: text }] : [] } });
        }
        for (let i = 0; i < snapshots.length; i += 100) {
          await query(`INSERT INTO "Snapshot" ("documentId", "version", "content") SELECT $1, (e->>'v')::int, e->'c' FROM jsonb_array_elements($2::jsonb) AS e`, [
            id,
            JSON.stringify(snapshots.slice(i, i + 100)),
          ]);
        }
        await query(`UPDATE "Document" SET "version" = $2 WHERE "id" = $1`, [id, ops.length]);
      });
      if (wasRunning) {
        server = await startOurNode(processOptions(options, env));
        api = new OursApi(server.url, api.token);
        untouched = true;
      }
      return id;
    },
    async restart() {
      if (untouched) return;
      await server.stop();
      server = await startOurNode(processOptions(options, env));
      api = new OursApi(server.url, api.token); // the same account: the secret and the data survive restarts
      untouched = true;
    },
    async dispose() {
      await Promise.allSettled(others.map((o) => o.stop()));
      await server.stop();
      dropKeptConnections();
      await db?.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  return target;
}

const SHAREDB_STRUCTURE = path.join(ROOT, 'node_modules/sharedb-postgres/structure.sql');
const RICH_TEXT_URI = 'http://sharejs.org/types/rich-text/v1';

async function launchShareDb(mode: Mode, services: Services | null, options: LaunchOptions): Promise<Target> {
  const db: TempDatabase | null = mode === 'scaled' ? await createTempDatabase(services!.databaseUrl, 'sharedb') : null;
  if (db) await db.query(readFileSync(SHAREDB_STRUCTURE, 'utf8'));
  const env: Record<string, string> = {
    SHAREDB_DB: db ? db.url : 'memory',
    ...(db && { SHAREDB_REDIS: services!.redisUrl, SHAREDB_PREFIX: uniquePrefix('sharedb') }),
  };
  let server = await startShareDbServer(processOptions(options, env));
  let api = new ShareDbApi(server.url);
  return {
    system: 'sharedb',
    mode,
    get server() {
      return server;
    },
    get servers() {
      return [server];
    },
    createDocument: (content) => api.createDocument(content),
    openWriter: (id, writerOptions) => api.openWriter(id, writerOptions),
    agentToken: async () => null,
    openWatcher: (id, onOp, watcherOptions) => api.openWatcher(id, onOp, watcherOptions),
    async open(id) {
      const doc = await api.open(id);
      return { version: doc.version, text: doc.text, close: async () => doc.close() };
    },
    async seed(ops, texts) {
      const id = `seed-${randomBytes(6).toString('hex')}`;
      const finalText = texts(ops.length) ?? '';
      const content = finalText ? [{ insert: finalText }] : [];
      if (!db) {
        await api.seed(id, ops, content);
        return id;
      }
      const ts = Date.now();
      await db.query(`INSERT INTO ops (collection, doc_id, version, operation) VALUES ('docs', $1, 0, $2::jsonb)`, [id, JSON.stringify({ v: 0, create: { type: RICH_TEXT_URI, data: { ops: [] } }, m: { ts } })]);
      for (let from = 0; from < ops.length; from += 5_000) {
        const batch = ops.slice(from, from + 5_000).map((op, i) => ({ v: from + i + 1, src: 'seed', seq: from + i + 1, op, m: { ts } }));
        await db.query(`INSERT INTO ops (collection, doc_id, version, operation) SELECT 'docs', $1, (e->>'v')::int, e FROM jsonb_array_elements($2::jsonb) AS e`, [id, JSON.stringify(batch)]);
      }
      await db.query(`INSERT INTO snapshots (collection, doc_id, doc_type, version, data) VALUES ('docs', $1, $2, $3, $4::jsonb)`, [id, RICH_TEXT_URI, ops.length + 1, JSON.stringify({ ops: content })]);
      return id;
    },
    async restart() {
      if (!db) return; // the memory db is the data: a restart would lose it
      await server.stop();
      server = await startShareDbServer(processOptions(options, env));
      api = new ShareDbApi(server.url);
    },
    async dispose() {
      await server.stop();
      await db?.drop();
    },
  };
}
