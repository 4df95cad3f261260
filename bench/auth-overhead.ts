// What authentication costs per request: verifying the access token
// (HS256, jose), the session-revocation read (one primary-key lookup, so
// that log-out takes effect at once), an API token (SHA-256 and a lookup by
// hash, cached like sessions), and each end to end over HTTP, on an
// embedded node (PGlite) and, with DATABASE_URL set, on PostgreSQL.
// Not a test: prints a table.
//   node bench/auth-overhead.ts [requests=2000]
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../api/src/app.ts';
import { loadConfig } from '../api/src/config.ts';
import { viewerFromAuthorization } from '../api/src/http/graphql.ts';
import type { Services } from '../api/src/services.ts';
import { tempPostgres } from '../api/test/harness.ts';

const requests = Number(process.argv[2] ?? 2000);
const CONCURRENCY = 8;

interface Row {
  store: string;
  what: string;
  n: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  perSecond: number;
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

/** Runs `once` n times, `concurrency` at a time; per-call latencies in µs. */
async function measure(store: string, what: string, n: number, concurrency: number, once: () => Promise<unknown>): Promise<Row> {
  for (let i = 0; i < Math.min(200, n); i++) await once(); // warm-up: JIT, connections, caches
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < n) {
        const t = performance.now();
        await once();
        latencies.push((performance.now() - t) * 1000);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const mean = latencies.reduce((s, x) => s + x, 0) / latencies.length;
  return { store, what, n: latencies.length, meanUs: mean, p50Us: quantile(latencies, 0.5), p99Us: quantile(latencies, 0.99), perSecond: latencies.length / elapsed };
}

async function bench(store: string, env: Record<string, string>): Promise<Row[]> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'bench-auth-'));
  const app = buildApp(loadConfig({ DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', NODE_ENV: 'production', RATE_LIMITS: 'off', ...env }));
  const { url, services } = (await app.start()) as { url: string; services: Services };
  try {
    const signUp = await post(url, { query: 'mutation { signUp(email: "bench@example.com", password: "correct horse", name: "Bench") { accessToken } }' });
    const token = (signUp as { data: { signUp: { accessToken: string } } }).data.signUp.accessToken;
    const claims = await services.tokens.verify(token);
    const made = await post(url, { query: 'mutation { createApiToken(name: "bench", role: VIEWER) { token } }' }, token);
    const apiToken = (made as { data: { createApiToken: { token: string } } }).data.createApiToken.token;
    const body = { query: '{ __typename }' };
    return [
      await measure(store, 'verify token (jose HS256)', requests, 1, () => services.tokens.verify(token)),
      await measure(store, 'session read (revocation check)', requests, 1, () => services.accounts.liveSession(claims.sessionId)),
      await measure(store, 'both (viewerFromAuthorization)', requests, 1, () => viewerFromAuthorization(services, `Bearer ${token}`)),
      await measure(store, 'API token (SHA-256, cached lookup)', requests, 1, () => viewerFromAuthorization(services, `Bearer ${apiToken}`)),
      await measure(store, `HTTP { __typename }, anonymous, ${CONCURRENCY} at once`, requests, CONCURRENCY, () => post(url, body)),
      await measure(store, `HTTP { __typename }, Bearer token, ${CONCURRENCY} at once`, requests, CONCURRENCY, () => post(url, body, token)),
      await measure(store, `HTTP { __typename }, API token, ${CONCURRENCY} at once`, requests, CONCURRENCY, () => post(url, body, apiToken)),
    ];
  } finally {
    await app.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function post(url: string, body: unknown, token?: string): Promise<unknown> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  return res.json();
}

const rows = await bench('PGlite', {});
if (process.env.DATABASE_URL) {
  const db = await tempPostgres(process.env.DATABASE_URL);
  try {
    rows.push(...(await bench('PostgreSQL', { DATABASE_URL: db.url, AUTH_SECRET: randomBytes(32).toString('hex') })));
  } finally {
    await db.drop();
  }
}

const fmt = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
console.log(`\nAuth overhead per request (${requests} calls each; µs; ${os.cpus().length} cores)\n`);
console.log('| store | what | mean µs | p50 µs | p99 µs | per s |');
console.log('|---|---|---:|---:|---:|---:|');
for (const r of rows) console.log(`| ${r.store} | ${r.what} | ${fmt(r.meanUs)} | ${fmt(r.p50Us)} | ${fmt(r.p99Us)} | ${r.perSecond.toFixed(0)} |`);
for (const store of new Set(rows.map((r) => r.store))) {
  const anon = rows.find((r) => r.store === store && r.what.includes('anonymous'))!;
  const authed = rows.find((r) => r.store === store && r.what.includes('Bearer'))!;
  console.log(`\n${store}: a Bearer token adds ${fmt(authed.meanUs - anon.meanUs)} µs per HTTP request on average (${((authed.meanUs / anon.meanUs - 1) * 100).toFixed(0)}%).`);
}
process.exit(0);
