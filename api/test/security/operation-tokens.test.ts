// Operations signed in by their own token (GraphiQL's Headers tab arrives
// as `extensions.headers.authorization` on an anonymous socket) are bound to
// the session that authorised them like a signed-in socket: log-out, log-out
// everywhere, refresh-token reuse and token expiry end the stream with
// UNAUTHENTICATED and a reason, and each user counts against the per-user
// socket budget. Across nodes: access-across-nodes.int.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccessTokens } from '../../src/auth/access-tokens.ts';
import { CLOSE_CODES } from '../../src/http/socket-guard.ts';
import { availableModes, createDocument, gql, OPS_SUBSCRIPTION, signUp, startServer, subscribe, SUBMIT, wsClient, type TestServer } from '../harness.ts';
import { closeCode, headersOf } from './socket-helpers.ts';

const LOG_IN = 'mutation($e: String!) { logIn(email: $e, password: "correct horse") { accessToken } }';
const REFRESH = 'mutation { refreshSession { accessToken } }';

type Session = { token: string; cookie: string };

describe.each(availableModes())('operations signed in by their own token (%s)', (mode) => {
  let server: TestServer;
  let ann: { token: string; userId: string; email: string };
  let bob: { token: string; userId: string; email: string };
  let id: string;
  let seq = 0;

  async function logIn(who: { email: string }): Promise<Session> {
    const res = await gql(server, LOG_IN, { e: who.email });
    return { token: res.data!.logIn.accessToken as string, cookie: res.headers.get('set-cookie')!.split(';')[0]! };
  }
  const write = (token: string) =>
    gql(server, SUBMIT, { input: { documentId: id, baseVersion: 0, delta: { ops: [{ insert: 'x' }] }, clientId: 'op-tokens', clientSeq: seq++ } }, token);

  beforeAll(async () => {
    server = await startServer(mode);
    [ann, bob] = await Promise.all([signUp(server, 'ann'), signUp(server, 'bob')]);
    id = await createDocument(server, ann.token, { ops: [{ insert: 'Hello\n' }] });
    await gql(server, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: EDITOR) { role } }', { id, e: bob.email }, ann.token);
  });
  afterAll(async () => {
    await server?.stop();
  });

  const endings: Array<[string, (session: Session) => Promise<unknown>]> = [
    ['logOut', (s) => gql(server, 'mutation { logOut }', {}, s.token, { cookie: s.cookie })],
    ['logOutEverywhere', (s) => gql(server, 'mutation { logOutEverywhere }', {}, s.token)],
    [
      'a replayed refresh token',
      async (s) => {
        await gql(server, REFRESH, {}, undefined, { cookie: s.cookie }); // rotates: s.cookie is now stale
        return gql(server, REFRESH, {}, undefined, { cookie: s.cookie }); // replayed: the family is revoked
      },
    ],
  ];

  it.each(endings)('ends the stream at once after %s (UNAUTHENTICATED, SESSION_REVOKED); the socket and its other operations go on', async (_name, endSession) => {
    const session = await logIn(bob);
    const client = wsClient(server); // anonymous: no connectionParams
    const bobs = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 }, headersOf(session.token));
    const anns = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 }, headersOf(ann.token));
    const [first] = await bobs.take(1);
    expect(first?.data?.documentOperations.version).toBe(1); // signed in: bob may read the document
    await anns.take(1);

    await endSession(session);
    await bobs.ended();
    expect(bobs.failure).toBeNull(); // the operation completed; the socket did not close
    expect(bobs.results.at(-1)?.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'SESSION_REVOKED' });

    // Ann's operation on the same socket still delivers.
    const delivered = anns.results.length;
    const res = await write(ann.token);
    const version = res.data!.submitOperation.version as number;
    const [next] = (await anns.take(delivered + 1)).slice(delivered);
    expect(next?.data?.documentOperations.version).toBe(version);
    // The revoked token signs in nothing new.
    const again = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 }, headersOf(session.token));
    expect(await again.refusal()).toBe('UNAUTHENTICATED');
    expect(anns.done).toBe(false);
    await client.dispose();
  });

  it('ends the stream when its token expires (UNAUTHENTICATED, TOKEN_EXPIRED)', async () => {
    const { sessionId } = await server.services.tokens.verify((await logIn(bob)).token); // earlier tests ended bob's other sessions
    // A 30 s token issued 27 s ago: it expires 2-3 s from now (no sleeps: the test waits on the stream's end).
    const soon = createAccessTokens(server.services.config.authSecret, 30, () => Date.now() - 27_000);
    const { token } = await soon.issue(bob.userId, sessionId);
    const client = wsClient(server);
    const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 }, headersOf(token));
    expect((await stream.take(1))[0]?.data).toBeTruthy(); // live before the expiry
    await stream.ended();
    expect(stream.failure).toBeNull();
    expect(stream.results.at(-1)?.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_EXPIRED' });
    await client.dispose();
  });
});

describe.each(availableModes())('operation tokens and the per-user socket budget (%s)', (mode) => {
  let server: TestServer;
  let owner: { token: string; userId: string; email: string };
  let id: string;

  beforeAll(async () => {
    server = await startServer(mode, { RATE_LIMIT_SOCKETS_PER_USER: '2' });
    owner = await signUp(server, 'owner');
    id = await createDocument(server, owner.token, { ops: [{ insert: 'Hello\n' }] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('counts each socket an operation token signs in on, once, against RATE_LIMIT_SOCKETS_PER_USER', async () => {
    const clients = [wsClient(server), wsClient(server), wsClient(server)];
    const [one, two] = [subscribe(clients[0]!, OPS_SUBSCRIPTION, { id, after: 0 }, headersOf(owner.token)), subscribe(clients[1]!, OPS_SUBSCRIPTION, { id, after: 0 }, headersOf(owner.token))];
    await Promise.all([one.take(1), two.take(1)]);
    // A second operation of the same user on a counted socket is not a new socket.
    const again = subscribe(clients[0]!, OPS_SUBSCRIPTION, { id, after: 0 }, headersOf(owner.token));
    expect((await again.take(1))[0]?.data).toBeTruthy();
    // A third socket is over the budget, however the token arrives.
    const third = subscribe(clients[2]!, OPS_SUBSCRIPTION, { id, after: 0 }, headersOf(owner.token));
    expect(await third.refusal()).toBe('RATE_LIMITED');
    expect((third.failure as Array<{ extensions?: unknown }>)[0]?.extensions).toMatchObject({ limit: 'socketsPerUser' });
    const signedIn = subscribe(wsClient(server, owner.token), OPS_SUBSCRIPTION, { id, after: 0 });
    expect(closeCode(await signedIn.ended())).toBe(CLOSE_CODES.RATE_LIMITED);
    expect(one.done || two.done || again.done).toBe(false);
    await Promise.all(clients.map((c) => c.dispose()));
  });
});
