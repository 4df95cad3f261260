// HTTP hygiene and the WebSocket's own guards: no-store on every API reply,
// CORS allow-list, CSRF prevention for cookie-authenticated requests, the
// Origin allow-list on the upgrade, masked errors on both paths, and
// GraphiQL / introspection off in production on both paths.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeOf, createDocument, DOC_STATE, gql, OPS_SUBSCRIPTION, signUp, startServer, subscribe, wsClient, type TestServer } from '../harness.ts';
import { upgradeStatus, wsClientWithHeaders } from './socket-helpers.ts';

const ALLOWED = 'https://app.example.com';
const FOREIGN = 'https://evil.example';

describe('HTTP hygiene (development settings, one extra allowed origin)', () => {
  let server: TestServer;
  let user: { token: string; userId: string; email: string };
  let id: string;

  beforeAll(async () => {
    server = await startServer('embedded', { ALLOWED_ORIGINS: ALLOWED });
    user = await signUp(server, 'ann');
    id = await createDocument(server, user.token, { ops: [{ insert: 'Hello\n' }] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('says Cache-Control: no-store on every API reply: data, errors, GET, preflight, oversized', async () => {
    const replies = [
      await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' }),
      await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ nope }"}' }),
      await fetch(`${server.url}/graphql?query=%7B__typename%7D`, { headers: { accept: 'application/json', 'x-graphql-yoga-csrf': '1' } }),
      await fetch(`${server.url}/graphql`, { method: 'OPTIONS', headers: { origin: ALLOWED, 'access-control-request-method': 'POST' } }),
      await fetch(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(2 * 1024 * 1024) }),
      await fetch(`${server.url}/healthz`),
    ];
    for (const res of replies) expect(res.headers.get('cache-control'), `${res.url} ${res.status}`).toBe('no-store');
  });

  it('answers CORS only for allow-listed origins (yoga alone would reflect any origin, with credentials)', async () => {
    const preflight = (origin: string) =>
      fetch(`${server.url}/graphql`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,authorization' } });
    const allowed = await preflight(ALLOWED);
    expect(allowed.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const foreign = await preflight(FOREIGN);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
    expect(foreign.headers.get('access-control-allow-credentials')).toBeNull();
    const post = await gql(server, '{ __typename }', {}, undefined, { origin: FOREIGN });
    expect(post.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a request a browser would send without a preflight (CSRF) with FORBIDDEN; the session is not rotated', async () => {
    const login = await gql(server, 'mutation($e: String!) { logIn(email: $e, password: "correct horse") { accessToken } }', { e: user.email });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const sessions = await server.services.db.prisma.session.findMany({ orderBy: { id: 'asc' } });
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': contentType, cookie, origin: FOREIGN },
        body: JSON.stringify({ query: 'mutation { refreshSession { accessToken } }' }),
      });
      expect(res.status).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
      expect(codeOf((await res.json()) as never)).toBe('FORBIDDEN');
    }
    const get = await fetch(`${server.url}/graphql?query=${encodeURIComponent('{ me { id } }')}`, { headers: { cookie, accept: 'application/json' } });
    expect(get.status).toBe(403);
    expect(await server.services.db.prisma.session.findMany({ orderBy: { id: 'asc' } })).toEqual(sessions);
    // The same cookie still works from a real client (JSON): it was not rotated or revoked.
    expect((await gql(server, 'mutation { refreshSession { accessToken } }', {}, undefined, { cookie })).data?.refreshSession.accessToken).toBeTruthy();
  });

  it('refuses a WebSocket upgrade from a foreign origin (HTTP 403); allows its own, allow-listed and non-browser clients', async () => {
    expect(await upgradeStatus(server, { origin: FOREIGN })).toEqual({ status: 403 });
    expect(await upgradeStatus(server, { origin: 'null' })).toEqual({ status: 403 });
    expect(await upgradeStatus(server, { origin: `http://localhost:${new URL(server.url).port}` })).toEqual({ status: 403 }); // another host name
    expect(await upgradeStatus(server, { origin: server.url })).toEqual({ status: 101 });
    expect(await upgradeStatus(server, { origin: ALLOWED })).toEqual({ status: 101 });
    expect(await upgradeStatus(server)).toEqual({ status: 101 });
    // The refused socket never got to act: a cross-site page cannot ride the refresh cookie.
    const login = await gql(server, 'mutation($e: String!) { logIn(email: $e, password: "correct horse") { accessToken } }', { e: user.email });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const stream = subscribe(wsClientWithHeaders(server, { cookie, origin: FOREIGN }), OPS_SUBSCRIPTION, { id, after: 0 });
    expect(await stream.ended()).toBeTruthy();
    expect(stream.results).toEqual([]);
  });

  it('leaves introspection and GraphiQL on in development', async () => {
    expect((await gql(server, '{ __schema { queryType { name } } }')).data).toEqual({ __schema: { queryType: { name: 'Query' } } });
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).toContain('GraphiQL');
  });
});

describe('production settings', () => {
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await startServer('embedded', { NODE_ENV: 'production' });
    token = (await signUp(server, 'prod')).token;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses introspection over HTTP and over the WebSocket with FORBIDDEN; __typename still works', async () => {
    for (const query of ['{ __schema { types { name } } }', '{ __type(name: "Document") { fields { name } } }']) {
      const res = await gql(server, query, {}, token);
      expect(codeOf(res)).toBe('FORBIDDEN');
      expect(res.data ?? undefined).toBeUndefined();
      const client = wsClient(server, token);
      const stream = subscribe(client, query, {});
      expect(await stream.refusal()).toBe('FORBIDDEN');
      await client.dispose();
    }
    expect((await gql(server, '{ __typename }')).data).toEqual({ __typename: 'Query' });
  });

  it('serves no GraphiQL and gives no "did you mean" hints', async () => {
    const page = await fetch(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('GraphiQL');
    const res = await gql(server, '{ documnts { edges { node { id } } } }', {}, token);
    expect(res.errors?.[0]?.message).not.toMatch(/did you mean/i);
  });
});

describe('masked errors', () => {
  let server: TestServer;
  let token: string;
  let id: string;

  beforeAll(async () => {
    server = await startServer('embedded');
    token = (await signUp(server, 'mask')).token;
    id = await createDocument(server, token, { ops: [{ insert: 'Hello\n' }] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lets no stack or dependency text reach a client, over HTTP or the WebSocket, when a dependency fails', async () => {
    const client = wsClient(server, token);
    const warm = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 });
    await warm.take(1); // the socket is authenticated while the database is up
    // A real failure inside the resolvers: the database is gone.
    await server.services.db.close();
    const leaks = /prisma|pglite|postgres|sql|stack|\bat \w|node_modules|\.ts:\d/i;

    const http = await gql(server, DOC_STATE, { id }, token);
    expect(http.status).toBeLessThan(600);
    expect(http.errors?.length).toBeGreaterThan(0);
    expect(JSON.stringify(http.errors)).not.toMatch(leaks);

    const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 });
    await stream.ended();
    const errors = stream.results[0]?.errors ?? stream.failure;
    expect(errors).toBeTruthy();
    expect(JSON.stringify(errors)).not.toMatch(leaks);
    await client.dispose();
  });
});
