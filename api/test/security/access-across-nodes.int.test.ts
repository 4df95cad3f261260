// Access changes made on one node end streams and sockets on another: two
// nodes on one PostgreSQL and one Redis (same prefix), a member removed and
// a session revoked through node A while the victim is connected to node B.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type App } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { CLOSE_CODES } from '../../src/http/socket-guard.js';
import { codeOf, createDocument, gql, OPS_SUBSCRIPTION, signUp, SUBMIT, subscribe, tempPostgres, wsClient, type TestServer } from '../harness.js';

/** Polls `check` for up to two seconds (the access bus delivers in milliseconds). */
async function eventually(check: () => Promise<boolean>): Promise<boolean> {
  for (const started = Date.now(); Date.now() - started < 2_000; await new Promise((r) => setTimeout(r, 20))) if (await check()) return true;
  return false;
}
import { closeCode } from './socket-helpers.js';

const databaseUrl = process.env.DATABASE_URL;
const redisUrl = process.env.REDIS_URL;
if (!databaseUrl || !redisUrl) console.warn('[tests] DATABASE_URL and REDIS_URL not both set: access changes across nodes are SKIPPED.');

describe.skipIf(!databaseUrl || !redisUrl)('access changes across nodes', () => {
  const apps: App[] = [];
  const dirs: string[] = [];
  let drop: () => Promise<void> = async () => {};
  let a: TestServer;
  let b: TestServer;

  beforeAll(async () => {
    const db = await tempPostgres(databaseUrl!);
    drop = db.drop;
    const shared = { DATABASE_URL: db.url, REDIS_URL: redisUrl!, REDIS_PREFIX: `acc-${randomBytes(4).toString('hex')}:`, AUTH_SECRET: randomBytes(32).toString('hex') };
    const start = async (): Promise<TestServer> => {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'collab-acc-'));
      dirs.push(dataDir);
      const app = buildApp(loadConfig({ ...shared, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent', NODE_ENV: 'test', RATE_LIMITS: 'off', ACCESS_CACHE_MS: '60000' }));
      apps.push(app);
      const { url, services } = await app.start();
      return { url, wsUrl: url.replace(/^http/, 'ws') + '/graphql', services, stop: () => app.stop() };
    };
    a = await start(); // migrates first
    b = await start();
  });
  afterAll(async () => {
    for (const app of apps) await app.stop();
    await drop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("ends a removed member's stream on the other node at once with NOT_FOUND", async () => {
    const owner = await signUp(a, 'owner');
    const member = await signUp(a, 'member');
    const id = await createDocument(a, owner.token, { ops: [{ insert: 'Hello\n' }] });
    await gql(a, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: EDITOR) { role } }', { id, e: member.email }, owner.token);
    const client = wsClient(b, member.token);
    const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 });
    await stream.take(1);

    expect((await gql(a, 'mutation($id: ID!, $u: ID!) { removeMember(documentId: $id, userId: $u) }', { id, u: member.userId }, owner.token)).data).toEqual({ removeMember: true });
    await stream.ended();
    expect(stream.results.at(-1)?.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'ACCESS_REVOKED' });
    await client.dispose();
  });

  it('closes the sockets of a session revoked on the other node with 4002', async () => {
    const user = await signUp(a, 'user');
    const id = await createDocument(a, user.token, { ops: [{ insert: 'Hi\n' }] });
    const client = wsClient(b, user.token);
    const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 });
    await stream.take(1);
    expect((await gql(a, 'mutation { logOutEverywhere }', {}, user.token)).data).toEqual({ logOutEverywhere: true });
    expect(closeCode(await stream.ended())).toBe(CLOSE_CODES.SESSION_REVOKED);
  });

  // ACCESS_CACHE_MS is a minute here: only the access bus can make node B forget in time.
  it("forgets node B's cached role and session as soon as node A changes them", async () => {
    const owner = await signUp(a, 'owner');
    const member = await signUp(a, 'member');
    const id = await createDocument(a, owner.token);
    const share = (role: string) => gql(a, 'mutation($id: ID!, $e: String!, $r: Role!) { shareDocument(id: $id, email: $e, role: $r) { role } }', { id, e: member.email, r: role }, owner.token);
    const write = (seq: number) => gql(b, SUBMIT, { input: { documentId: id, baseVersion: 0, delta: { ops: [{ insert: 'x' }] }, clientId: 'm', clientSeq: seq } }, member.token);
    await share('EDITOR');
    expect((await write(0)).data?.submitOperation).toMatchObject({ version: 1 }); // node B now holds the role and the session
    await share('VIEWER');
    expect(await eventually(async () => codeOf(await write(1)) === 'FORBIDDEN')).toBe(true);
    expect((await gql(a, 'mutation { logOutEverywhere }', {}, member.token)).data).toEqual({ logOutEverywhere: true });
    // A revoked token reads as no token at all over HTTP: `me` is null.
    expect(await eventually(async () => (await gql(b, '{ me { id } }', {}, member.token)).data?.me === null)).toBe(true);
    expect((await gql(a, 'query($id: ID!) { document(id: $id) { version } }', { id }, owner.token)).data?.document).toEqual({ version: 1 });
  });

  it('shares rate-limit budgets between nodes through Redis', async () => {
    const config = loadConfig({ DATA_DIR: dirs[0]!, RATE_LIMIT_AUTH_PER_ACCOUNT: '2' }).security.rateLimits!;
    const { createRateLimits } = await import('../../src/limits/rate-limits.js');
    const prefix = `acc-rl-${randomBytes(4).toString('hex')}:`;
    const [one, two] = [await createRateLimits(config, redisUrl, prefix, () => {}), await createRateLimits(config, redisUrl, prefix, () => {})];
    await one.consume(['authPerAccount', 'x@example.com']);
    await two.consume(['authPerAccount', 'x@example.com']);
    await expect(one.consume(['authPerAccount', 'x@example.com'])).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await Promise.all([one.close(), two.close()]);
  });
});
