// Every limit: its typed error, and that nothing changed (document,
// membership, sessions). Query-shape limits are checked over HTTP and over
// the WebSocket, where yoga's HTTP plugins do not run but envelop's
// parse/validate rules do. Rate limits run in both modes: in memory, and
// shared through Redis in scaled mode.
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '../../src/http/socket-guard.ts';
import { availableModes, codeOf, createDocument, DOC_STATE, gql, OPS_SUBSCRIPTION, signUp, startServer, subscribe, SUBMIT, wsClient, type TestServer } from '../harness.ts';
import { closeCode, upgradeStatus } from './socket-helpers.ts';
import { RETRY_MARGIN_MS } from '../../src/limits/rate-limits.ts';

type User = { token: string; userId: string; email: string };
const TITLE = 'query($id: ID!) { document(id: $id) { title version members { role } } }';

describe('query shape, delta, document and socket limits', () => {
  let server: TestServer;
  let owner: User;
  let id: string;
  const state = async () => (await gql(server, TITLE, { id }, owner.token)).data?.document;

  beforeAll(async () => {
    server = await startServer('embedded', {
      MAX_QUERY_DEPTH: '5',
      MAX_QUERY_ALIASES: '3',
      MAX_QUERY_TOKENS: '200',
      MAX_QUERY_COST: '3000',
      MAX_DELTA_OPS: '4',
      MAX_DELTA_INSERT_BYTES: '10',
      MAX_DOCUMENT_BYTES: '20',
      MAX_SUBSCRIPTIONS_PER_SOCKET: '2',
      MAX_PAYLOAD_BYTES: '2048',
    });
    owner = await signUp(server, 'owner');
    id = await createDocument(server, owner.token, { ops: [{ insert: 'Hello\n' }] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  // Each would change the document if it were run.
  const renames = (n: number) => `mutation($id: ID!) { ${Array.from({ length: n }, (_, i) => `r${i}: renameDocument(id: $id, title: "x${i}") { id }`).join(' ')} }`;
  const cases: Array<[string, string, string]> = [
    ['queryDepth', 'mutation Rename($id: ID!) { renameDocument(id: $id, title: "deep") { members { user { id } } } } query Deep { me { id } documents { edges { node { members { user { email } } } } } }', 'Deep'],
    ['queryAliases', renames(4), ''],
    ['queryTokens', `mutation($id: ID!) { renameDocument(id: $id, title: "${'t'.repeat(10)}") { ${'id '.repeat(200)} } }`, ''],
    ['queryCost', 'mutation Rename($id: ID!) { renameDocument(id: $id, title: "costly") { id } } query Costly { documents(first: 100) { edges { node { operations(afterVersion: 0, first: 1000) { version } } } } }', 'Costly'],
  ];

  it.each(cases)('refuses an operation over the %s limit with BAD_USER_INPUT over HTTP, changing nothing', async (limit, query, operationName) => {
    const before = await state();
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.token}` },
      body: JSON.stringify({ query, variables: { id }, ...(operationName ? { operationName } : {}) }),
    });
    const body = (await res.json()) as { errors?: Array<{ extensions?: Record<string, unknown> }> };
    expect(res.status).toBeLessThan(500);
    expect(body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit });
    expect(await state()).toEqual(before);
  });

  it.each(cases)('refuses an operation over the %s limit over the WebSocket too', async (limit, query) => {
    const before = await state();
    const client = wsClient(server, owner.token);
    // Over graphql-ws each operation is sent on its own: send the offending one.
    const only = query.includes('query ') ? query.slice(query.indexOf('query ')) : query;
    const stream = subscribe(client, only, { id });
    await stream.ended();
    const errors = (stream.results[0]?.errors ?? stream.failure) as Array<{ extensions?: Record<string, unknown> }>;
    expect(errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit });
    expect(await state()).toEqual(before);
    await client.dispose();
  });

  it('refuses a delta with too many ops or inserting too much (BAD_USER_INPUT, limit), changing nothing', async () => {
    const doc = async () => (await gql(server, DOC_STATE, { id }, owner.token)).data?.document;
    const before = await doc();
    const submit = (delta: unknown) =>
      gql(server, SUBMIT, { input: { documentId: id, baseVersion: before.version, delta, clientId: 'limits', clientSeq: 0 } }, owner.token);
    const tooMany = await submit({ ops: [{ retain: 1 }, { insert: 'a', attributes: { bold: true } }, { retain: 1 }, { insert: 'b', attributes: { italic: true } }, { insert: 'c' }] });
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'deltaOps', max: 4 });
    const tooLong = await submit({ ops: [{ insert: 'eleven char' }] });
    expect(tooLong.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'deltaInsertBytes', max: 10 });
    const created = await gql(server, 'mutation { createDocument(title: "big", content: { ops: [{ insert: "far too long for this\\n" }] }) { id } }', {}, owner.token);
    expect(created.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'deltaInsertBytes' });
    expect(await doc()).toEqual(before);
  });

  it('refuses an edit that would make the document larger than the limit (bytes); shrinking edits still pass', async () => {
    const doc = async () => (await gql(server, DOC_STATE, { id }, owner.token)).data?.document;
    const before = await doc();
    const length = before.content.ops.reduce((n: number, op: { insert: string }) => n + op.insert.length, 0);
    const submit = (delta: unknown, clientSeq: number) =>
      gql(server, SUBMIT, { input: { documentId: id, baseVersion: before.version, delta, clientId: 'doc-size', clientSeq } }, owner.token);
    expect(length).toBe(6); // 'Hello\n'; each delta may insert at most 10
    expect((await submit({ ops: [{ insert: 'x'.repeat(10) }] }, 0)).data?.submitOperation.version).toBe(before.version + 1);
    const grown = await doc();
    // Based on the old version: it is rebased over the first insert, then meets 16 + 5 > 20.
    const over = await submit({ ops: [{ insert: 'y'.repeat(5) }] }, 1);
    expect(over.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'documentBytes', max: 20 });
    expect(await doc()).toEqual(grown);
    expect((await submit({ ops: [{ insert: 'y'.repeat(4) }] }, 2)).data?.submitOperation.version).toBe(before.version + 2);
    expect((await submit({ ops: [{ delete: 1 }] }, 3)).data?.submitOperation.version).toBe(before.version + 3);
  });

  it('refuses a third subscription on one socket (BAD_USER_INPUT, limit); the first two go on', async () => {
    const client = wsClient(server, owner.token);
    const version = (await gql(server, DOC_STATE, { id }, owner.token)).data?.document.version;
    const first = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 });
    const second = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 });
    await Promise.all([first.take(1), second.take(1)]);
    const third = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 });
    expect(await third.refusal()).toBe('BAD_USER_INPUT');
    expect((third.failure as Array<{ extensions?: unknown }>)[0]?.extensions).toMatchObject({ limit: 'subscriptionsPerSocket', max: 2 });
    expect((await first.take(version)).length).toBe(version);
    expect(first.done || second.done).toBe(false);
    await client.dispose();
  });

  it('closes a socket that sends a message over MAX_PAYLOAD_BYTES with 1009, changing nothing', async () => {
    const before = await state();
    const socket = new WebSocket(server.wsUrl, 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${owner.token}`, pad: 'x'.repeat(4096) } }));
    expect(await closed).toBe(1009);
    expect(await state()).toEqual(before);
  });
});

describe.each(availableModes())('rate limits (%s)', (mode) => {
  let server: TestServer;
  let owner: User;
  let id: string;

  beforeAll(async () => {
    server = await startServer(mode, {
      RATE_LIMIT_AUTH_PER_IP: '6',
      RATE_LIMIT_AUTH_FAILURES_PER_ACCOUNT_IP: '2',
      RATE_LIMIT_SUBMIT_PER_USER_RATE: '3',
      RATE_LIMIT_SUBMIT_PER_USER_BURST: '0',
      RATE_LIMIT_SOCKETS_PER_USER: '2',
      RATE_LIMIT_SOCKETS_PER_IP: '5',
    });
    owner = await signUp(server, 'owner'); // 1 of 6 auth attempts from this address
    id = await createDocument(server, owner.token, { ops: [{ insert: 'Hello\n' }] }); // content is not a submitOperation
  });
  afterAll(async () => {
    await server?.stop();
  });

  const sessions = () => server.services.db.prisma.session.count();
  const users = () => server.services.db.prisma.user.count();
  const logIn = (email: string, password = 'correct horse') =>
    gql(server, 'mutation($e: String!, $p: String!) { logIn(email: $e, password: $p) { accessToken } }', { e: email, p: password });

  it('limits failed log-ins per account and address: RATE_LIMITED with a retry hint, even with the right password, and no session is created', async () => {
    expect(codeOf(await logIn(owner.email, 'wrong password'))).toBe('UNAUTHENTICATED');
    expect(codeOf(await logIn(owner.email, 'wrong again'))).toBe('UNAUTHENTICATED');
    const before = await sessions();
    const limited = await logIn(owner.email.toUpperCase()); // the same account, however it is spelled
    expect(limited.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'authFailuresPerAccountIp' });
    expect(limited.errors?.[0]?.extensions?.retryAfterMs).toBeGreaterThan(0);
    expect(await sessions()).toBe(before);
  });

  it('limits sign-ups and log-ins per address: RATE_LIMITED, and no account or session is created', async () => {
    // 4 of 6 used so far (sign-up + three log-ins); two more pass.
    await signUp(server, 'second');
    await logIn('nobody@example.com');
    const [userCount, sessionCount] = [await users(), await sessions()];
    const limited = await gql(server, 'mutation { signUp(email: "late@example.com", password: "correct horse", name: "Late") { accessToken } }');
    expect(limited.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'authPerIp' });
    expect(await users()).toBe(userCount);
    expect(await sessions()).toBe(sessionCount);
  });

  it('limits submissions per user: RATE_LIMITED, and the document is unchanged', async () => {
    const submit = (clientSeq: number) =>
      gql(server, SUBMIT, { input: { documentId: id, baseVersion: 0, delta: { ops: [{ insert: 'x' }] }, clientId: 'rl', clientSeq } }, owner.token);
    // 3 a second and no reserve: of eight sent at once at least two are refused (even across two seconds), and change nothing.
    const before = (await gql(server, DOC_STATE, { id }, owner.token)).data?.document;
    const replies = await Promise.all([0, 1, 2, 3, 4, 5, 6, 7].map(submit));
    const limited = replies.filter((r) => r.errors);
    expect(limited.length).toBeGreaterThanOrEqual(2);
    for (const r of limited) {
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', limit: 'submitPerUser' });
      expect(r.errors?.[0]?.extensions?.retryAfterMs).toBeLessThanOrEqual(1_000 + RETRY_MARGIN_MS);
    }
    expect((await gql(server, DOC_STATE, { id }, owner.token)).data?.document.version).toBe(before.version + 8 - limited.length);
  });

  it('limits socket connections per user (close 4029) and per address (HTTP 429 with Retry-After)', async () => {
    const clients = [wsClient(server, owner.token), wsClient(server, owner.token)];
    const streams = clients.map((c) => subscribe(c, OPS_SUBSCRIPTION, { id, after: 0 }));
    await Promise.all(streams.map((s) => s.take(1)));
    const third = subscribe(wsClient(server, owner.token), OPS_SUBSCRIPTION, { id, after: 0 });
    expect(closeCode(await third.ended())).toBe(CLOSE_CODES.RATE_LIMITED);
    // 3 of 5 upgrades from this address used; the next two pass, the sixth is refused before any socket exists.
    expect((await upgradeStatus(server)).status).toBe(101);
    expect((await upgradeStatus(server)).status).toBe(101);
    const refused = await upgradeStatus(server);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    await Promise.all(clients.map((c) => c.dispose()));
  });
});
