// Sessions: log-out, log-out everywhere, refresh-token reuse, expired access
// tokens over HTTP and on live sockets, and the refresh cookie on the
// WebSocket upgrade. Each rejection: its code, and that nothing changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessTokens } from '../../src/auth/access-tokens.ts';
import { CLOSE_CODES } from '../../src/http/socket-guard.ts';
import { availableModes, codeOf, createDocument, DOC_STATE, gql, OPS_SUBSCRIPTION, signUp, startServer, subscribe, SUBMIT, wsClient, type TestServer } from '../harness.ts';
import { closeCode, wsClientWithHeaders } from './socket-helpers.ts';

const LOG_IN = 'mutation($e: String!) { logIn(email: $e, password: "correct horse") { accessToken } }';
const REFRESH = 'mutation { refreshSession { accessToken } }';

describe.each(availableModes())('sessions (%s)', (mode) => {
  let server: TestServer;
  let ann: { token: string; userId: string; email: string };
  let bob: { token: string; userId: string; email: string };
  let id: string;

  /** A fresh session of `who`: its access token and its refresh cookie (`name=value`). */
  async function logIn(who: { email: string }) {
    const res = await gql(server, LOG_IN, { e: who.email });
    return { token: res.data!.logIn.accessToken as string, cookie: res.headers.get('set-cookie')!.split(';')[0]! };
  }
  const revokedSessions = () => server.services.db.prisma.session.count({ where: { revokedAt: { not: null } } });
  const state = async () => (await gql(server, DOC_STATE, { id }, ann.token)).data?.document;
  const submit = (token: string) =>
    gql(server, SUBMIT, { input: { documentId: id, baseVersion: 0, delta: { ops: [{ insert: 'x' }] }, clientId: `c-${Math.random()}`, clientSeq: 0 } }, token);

  beforeAll(async () => {
    server = await startServer(mode);
    [ann, bob] = await Promise.all([signUp(server, 'ann'), signUp(server, 'bob')]);
    id = await createDocument(server, ann.token, { ops: [{ insert: 'Hello\n' }] });
    await gql(server, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: EDITOR) { role } }', { id, e: bob.email }, ann.token);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('logOut ends this session only: its cookie and access token stop working, other sessions go on', async () => {
    const mine = await logIn(bob);
    const other = await logIn(bob);
    const res = await gql(server, 'mutation { logOut }', {}, mine.token, { cookie: mine.cookie });
    expect(res.data).toEqual({ logOut: true });
    expect(res.headers.get('set-cookie')).toMatch(/^refresh_token=; Path=\/graphql; Max-Age=0/);
    const before = await state();
    expect(codeOf(await submit(mine.token))).toBe('UNAUTHENTICATED');
    expect(codeOf(await gql(server, REFRESH, {}, undefined, { cookie: mine.cookie }))).toBe('UNAUTHENTICATED');
    expect(await state()).toEqual(before);
    expect((await gql(server, '{ me { id } }', {}, other.token)).data).toEqual({ me: { id: bob.userId } });
    expect((await gql(server, REFRESH, {}, undefined, { cookie: other.cookie })).data?.refreshSession.accessToken).toBeTruthy();
  });

  it('logOutEverywhere ends every session of the user, closes their sockets with 4002, and leaves other users alone', async () => {
    const first = await logIn(bob);
    const second = await logIn(bob);
    const annBefore = await logIn(ann);
    const client = wsClient(server, second.token);
    const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 });
    await stream.take(1); // the socket is live

    expect((await gql(server, 'mutation { logOutEverywhere }', {}, first.token)).data).toEqual({ logOutEverywhere: true });
    expect(closeCode(await stream.ended())).toBe(CLOSE_CODES.SESSION_REVOKED);

    const before = await state();
    for (const session of [first, second]) {
      expect(codeOf(await submit(session.token))).toBe('UNAUTHENTICATED');
      expect(codeOf(await gql(server, REFRESH, {}, undefined, { cookie: session.cookie }))).toBe('UNAUTHENTICATED');
    }
    expect(codeOf(await submit(bob.token))).toBe('UNAUTHENTICATED'); // the sign-up session too
    expect(await state()).toEqual(before);
    // Reconnecting with a revoked session's token is refused with the same code.
    const again = subscribe(wsClient(server, second.token), OPS_SUBSCRIPTION, { id, after: 0 });
    expect(closeCode(await again.ended())).toBe(CLOSE_CODES.SESSION_REVOKED);
    // Ann is untouched.
    expect((await gql(server, '{ me { id } }', {}, annBefore.token)).data).toEqual({ me: { id: ann.userId } });
    await client.dispose();
    bob = { ...bob, token: (await logIn(bob)).token };
  });

  it('logOutEverywhere without a session is UNAUTHENTICATED and revokes nothing', async () => {
    const before = await revokedSessions();
    expect(codeOf(await gql(server, 'mutation { logOutEverywhere }'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await gql(server, 'mutation { logOutEverywhere }', {}, undefined, { cookie: 'refresh_token=forged' }))).toBe('UNAUTHENTICATED');
    expect(await revokedSessions()).toBe(before);
  });

  it('a replayed (stolen) refresh token revokes the whole family and closes its sockets', async () => {
    const session = await logIn(bob);
    const rotated = await gql(server, REFRESH, {}, undefined, { cookie: session.cookie });
    const fresh = { token: rotated.data!.refreshSession.accessToken as string, cookie: rotated.headers.get('set-cookie')!.split(';')[0]! };
    const client = wsClient(server, fresh.token);
    const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 });
    await stream.take(1);

    expect(codeOf(await gql(server, REFRESH, {}, undefined, { cookie: session.cookie }))).toBe('UNAUTHENTICATED');
    expect(closeCode(await stream.ended())).toBe(CLOSE_CODES.SESSION_REVOKED);
    expect(codeOf(await gql(server, REFRESH, {}, undefined, { cookie: fresh.cookie }))).toBe('UNAUTHENTICATED');
    const before = await state();
    expect(codeOf(await submit(fresh.token))).toBe('UNAUTHENTICATED');
    expect(await state()).toEqual(before);
    await client.dispose();
  });

  it('refuses an expired access token over HTTP with UNAUTHENTICATED and changes nothing', async () => {
    const { sessionId } = await server.services.tokens.verify(bob.token);
    // Same secret, a clock one minute behind: the token expired 30 s ago.
    const past = createAccessTokens(server.services.config.authSecret, 30, () => Date.now() - 60_000);
    const { token } = await past.issue(bob.userId, sessionId);
    const before = await state();
    const sessions = await server.services.db.prisma.session.count();
    expect(codeOf(await submit(token))).toBe('UNAUTHENTICATED');
    expect(codeOf(await gql(server, '{ documents { edges { node { id } } } }', {}, token))).toBe('UNAUTHENTICATED');
    expect(await state()).toEqual(before);
    expect(await server.services.db.prisma.session.count()).toBe(sessions);
    // At connect, an expired token closes the socket with 4001 (refresh, then reconnect).
    const stream = subscribe(wsClient(server, token), OPS_SUBSCRIPTION, { id, after: 0 });
    expect(closeCode(await stream.ended())).toBe(CLOSE_CODES.TOKEN_EXPIRED);
  });

  it('closes a live socket with 4001 when its access token expires', async () => {
    const { sessionId } = await server.services.tokens.verify(bob.token);
    // A 30 s token issued 27 s ago: it expires 2-3 s from now (no sleeps: the test waits on the close).
    const soon = createAccessTokens(server.services.config.authSecret, 30, () => Date.now() - 27_000);
    const { token, expiresAt } = await soon.issue(bob.userId, sessionId);
    const client = wsClient(server, token);
    const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 });
    expect((await stream.take(1))[0]?.data).toBeTruthy(); // live before the expiry
    expect(closeCode(await stream.ended())).toBe(CLOSE_CODES.TOKEN_EXPIRED);
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime() - 1_000);
    await client.dispose();
  });

  it('accepts the refresh cookie on the WebSocket upgrade, and refuses a stale one with 4403', async () => {
    const session = await logIn(bob);
    const client = wsClientWithHeaders(server, { cookie: session.cookie });
    const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 });
    expect((await stream.take(1))[0]?.data?.documentOperations.version).toBe(1);
    await client.dispose();

    await gql(server, REFRESH, {}, undefined, { cookie: session.cookie }); // rotates: the old cookie is stale
    const revokedBefore = await revokedSessions();
    const stale = subscribe(wsClientWithHeaders(server, { cookie: session.cookie }), OPS_SUBSCRIPTION, { id, after: 0 });
    expect(closeCode(await stale.ended())).toBe(4403);
    // Presenting a stale cookie on an upgrade is refused, but is not treated as theft (no revocation).
    expect(await revokedSessions()).toBe(revokedBefore);
  });
});
