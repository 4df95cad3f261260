// Test support: real servers on port 0 (embedded PGlite in a temp dir, or a
// fresh PostgreSQL database + Redis key prefix when DATABASE_URL and
// REDIS_URL, or REDIS_CLUSTER_NODES, are set), GraphQL over real HTTP,
// graphql-ws over real sockets.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { afterAll } from 'vitest';
import { buildApp, type AppOptions } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import type { RedisTarget } from '../src/pubsub/redis-connections.ts';
import type { Services } from '../src/services.ts';
import { seedEmptyPGlite } from './support/pglite-template.ts';
import { createTempPostgresDatabase } from './support/test-databases.ts';

/** Embedded; scaled on one Redis (REDIS_URL); scaled on a Redis Cluster (REDIS_CLUSTER_NODES). */
export type Mode = 'embedded' | 'scaled' | 'cluster';

/** Modes the suite runs in: scaled only where CI (or you) gives the services. */
export function availableModes(): Mode[] {
  const scaled = Boolean(process.env.DATABASE_URL && process.env.REDIS_URL);
  if (!scaled) {
    console.warn('[tests] DATABASE_URL and REDIS_URL not both set: scaled-mode (PostgreSQL + Redis) runs are SKIPPED; only embedded mode is tested.');
  }
  return scaled ? ['embedded', 'scaled'] : ['embedded'];
}

/**
 * The scaled modes a multi-node test runs in: one Redis (REDIS_URL) and a
 * Redis Cluster (REDIS_CLUSTER_NODES, as `scripts/redis-cluster.sh start`
 * prints; CI always sets it). For the tests whose subject is Redis itself
 * (fan-out, presence, access bus, rate limits), not for every test.
 */
export function redisModes(): Array<'scaled' | 'cluster'> {
  if (!process.env.DATABASE_URL) return [];
  const modes: Array<'scaled' | 'cluster'> = [];
  if (process.env.REDIS_URL) modes.push('scaled');
  if (process.env.REDIS_CLUSTER_NODES) modes.push('cluster');
  else console.warn('[tests] REDIS_CLUSTER_NODES not set (scripts/redis-cluster.sh start prints it): the Redis Cluster runs are SKIPPED.');
  return modes;
}

/** The settings that point a scaled node at its Redis: one server, or the cluster's seed nodes. */
export function redisEnv(mode: 'scaled' | 'cluster'): Record<string, string> {
  return mode === 'cluster' ? { REDIS_CLUSTER_NODES: process.env.REDIS_CLUSTER_NODES! } : { REDIS_URL: process.env.REDIS_URL! };
}

/** The same, for connecting to it directly (pubsub/redis-connections.ts). */
export function redisTarget(mode: 'scaled' | 'cluster'): RedisTarget {
  if (mode === 'scaled') return { url: process.env.REDIS_URL! };
  const seeds = process.env.REDIS_CLUSTER_NODES!.split(',').map((seed) => seed.trim());
  return { clusterNodes: seeds.map((seed) => ({ host: seed.slice(0, seed.lastIndexOf(':')), port: Number(seed.slice(seed.lastIndexOf(':') + 1)) })) };
}

export interface TestServer {
  url: string;
  wsUrl: string;
  services: Services;
  /** GET /metrics on METRICS_PORT, when that is set. */
  metricsUrl?: string;
  stop(): Promise<void>;
}

/** A fresh database on the PostgreSQL server of `serverUrl` (dropped by `drop()`). */
export const tempPostgres = (serverUrl: string) => createTempPostgresDatabase(serverUrl, 'collab_it');

export async function startServer(mode: Mode = 'embedded', env: Record<string, string> = {}, options: AppOptions = {}): Promise<TestServer> {
  if (mode === 'embedded') return startNode(env, options);
  const group = await startNodeGroup(mode);
  const server = await group.start(env, options);
  return { ...server, stop: () => group.stop() };
}

/**
 * Nodes of one scaled deployment: a fresh PostgreSQL database, one Redis
 * (or the Redis Cluster, in mode 'cluster'), one key prefix and one
 * AUTH_SECRET, shared by every node `start` makes (each with its own
 * DATA_DIR); `stop` stops them all and drops the database.
 */
export async function startNodeGroup(mode: 'scaled' | 'cluster' = 'scaled'): Promise<{ start(env?: Record<string, string>, options?: AppOptions): Promise<TestServer>; stop(): Promise<void> }> {
  const pgdb = await tempPostgres(process.env.DATABASE_URL!);
  const shared = { DATABASE_URL: pgdb.url, ...redisEnv(mode), REDIS_PREFIX: `test-${randomBytes(4).toString('hex')}:`, AUTH_SECRET: randomBytes(32).toString('hex') };
  const nodes: TestServer[] = [];
  return {
    async start(env = {}, options = {}) {
      const node = await startNode({ ...shared, ...env }, options);
      nodes.push(node);
      return node;
    },
    async stop() {
      for (const node of nodes.splice(0)) await node.stop();
      await pgdb.drop();
    },
  };
}

/** Whether this run has PostgreSQL and Redis: for suites that only make sense across scaled nodes. */
export const hasScaled = () => availableModes().includes('scaled');

/**
 * Nodes of one scaled deployment for the calling suite (startNodeGroup):
 * made when a test first starts a node, all stopped after the suite.
 */
export function suiteNodeGroup(): { start(env?: Record<string, string>, options?: AppOptions): Promise<TestServer> } {
  let group: ReturnType<typeof startNodeGroup> | undefined;
  afterAll(async () => {
    await (await group)?.stop();
  });
  return { start: async (env, options) => (await (group ??= startNodeGroup())).start(env, options) };
}

/** One node on port 0 with its own DATA_DIR (removed by `stop`); `env` says where its database and Redis are. */
async function startNode(env: Record<string, string>, options: AppOptions): Promise<TestServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'collab-it-'));
  // Embedded: start from a copy of an empty cluster instead of running initdb (support/pglite-template.ts).
  if (!env.DATABASE_URL) await seedEmptyPGlite(dataDir);
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    NODE_ENV: 'test',
    ...env,
  });
  const app = buildApp(config, options);
  const { url, services, metricsUrl } = await app.start();
  return {
    url,
    wsUrl: url.replace(/^http/, 'ws') + '/graphql',
    services,
    ...(metricsUrl && { metricsUrl }),
    async stop() {
      await app.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string; [k: string]: unknown } }>;
  headers: Headers;
}

export async function gql<T = Record<string, any>>(
  server: Pick<TestServer, 'url'>,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
  extraHeaders: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const res = await fetch(server.url + '/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...extraHeaders },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Omit<GraphQLResponse<T>, 'status' | 'headers'>;
  return { ...body, status: res.status, headers: res.headers };
}

/** The `extensions.code` of the first error (undefined if none). */
export const codeOf = (res: { errors?: Array<{ extensions?: { code?: string } }> }) => res.errors?.[0]?.extensions?.code;

let userCounter = 0;
export async function signUp(server: TestServer, name = `user${++userCounter}`): Promise<{ token: string; userId: string; email: string }> {
  const email = `${name}-${randomBytes(3).toString('hex')}@example.com`;
  const res = await gql(server, 'mutation($e: String!, $n: String!) { signUp(email: $e, password: "correct horse", name: $n) { accessToken user { id } } }', { e: email, n: name });
  if (!res.data) throw new Error(`signUp failed: ${JSON.stringify(res.errors)}`);
  return { token: res.data.signUp.accessToken, userId: res.data.signUp.user.id, email };
}

export async function createDocument(server: TestServer, token: string, content?: unknown): Promise<string> {
  const res = await gql(server, 'mutation($c: Delta) { createDocument(title: "Test doc", content: $c) { id } }', { c: content ?? null }, token);
  if (!res.data) throw new Error(`createDocument failed: ${JSON.stringify(res.errors)}`);
  return res.data.createDocument.id;
}

/** shareDocument's mutation, for tests that read its answer (variables id, e: the email, r: the role). */
export const SHARE = 'mutation($id: ID!, $e: String!, $r: Role!) { shareDocument(id: $id, email: $e, role: $r) { role } }';

/** Gives `email` `role` on document `id` (as the owner `token`); throws unless it worked. */
export async function share(server: Pick<TestServer, 'url'>, token: string, id: string, email: string, role: 'OWNER' | 'EDITOR' | 'COMMENTER' | 'VIEWER'): Promise<void> {
  const res = await gql(server, SHARE, { id, e: email, r: role }, token);
  if (res.data?.shareDocument?.role !== role) throw new Error(`shareDocument failed: ${JSON.stringify(res.errors)}`);
}

/** How many shared stream payloads a node has serialised: one per shared batch, however many subscribers get it. */
export async function sharedSerialisations(server: TestServer): Promise<number> {
  const metric = await server.services.metrics.registry.getSingleMetric('collab_shared_payloads_serialised_total')?.get();
  return metric?.values[0]?.value ?? 0;
}

export function wsClient(server: Pick<TestServer, 'wsUrl'>, token?: string): Client {
  return createClient({
    url: server.wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: token ? { authorization: `Bearer ${token}` } : {},
    retryAttempts: 0,
    lazy: true,
  });
}

/**
 * A subscription as a pull queue: `next()` resolves with the next result.
 * Results (data or errors) are buffered from the start. `extensions` goes
 * with the subscribe message (GraphiQL sends its Headers tab there).
 */
export function subscribe<T = Record<string, any>>(client: Client, query: string, variables: Record<string, unknown>, extensions?: Record<string, unknown>) {
  const results: Array<{ data?: T; errors?: GraphQLResponse['errors'] }> = [];
  const waiters: Array<() => void> = [];
  let done = false;
  let failure: unknown = null;
  const wake = () => waiters.splice(0).forEach((w) => w());
  const dispose = client.subscribe<T>({ query, variables, ...(extensions ? { extensions } : {}) }, {
    next: (value) => {
      results.push(value as never);
      wake();
    },
    error: (error) => {
      failure = error;
      done = true;
      wake();
    },
    complete: () => {
      done = true;
      wake();
    },
  });
  return {
    results,
    get done() {
      return done;
    },
    get failure() {
      return failure;
    },
    /** Waits until `count` results have arrived (or the stream ended). */
    async take(count: number) {
      while (results.length < count && !done) await new Promise<void>((r) => waiters.push(r));
      return results.slice(0, count);
    },
    /**
     * Waits for the stream to end and returns the code it was refused with:
     * graphql-ws sends a resolver's rejection as a result with errors, then
     * completes.
     */
    async refusal(): Promise<string | undefined> {
      while (!done) await new Promise<void>((r) => waiters.push(r));
      const errors = results[0]?.errors ?? (Array.isArray(failure) ? (failure as GraphQLResponse['errors']) : undefined);
      if (results.some((r) => r.data)) return undefined; // it delivered data: not a refusal
      return errors?.[0]?.extensions?.code;
    },
    /** Waits for the stream to end. */
    async ended() {
      while (!done) await new Promise<void>((r) => waiters.push(r));
      return failure;
    },
    dispose,
  };
}

export const SUBMIT = `mutation($input: SubmitOperationInput!) { submitOperation(input: $input) { version delta clientId clientSeq author { id } } }`;
export const OPS_SUBSCRIPTION = `subscription($id: ID!, $after: Int!) { documentOperations(documentId: $id, afterVersion: $after) { version delta clientId clientSeq } }`;
export const DOC_STATE = `query($id: ID!) { document(id: $id) { version content } }`;
