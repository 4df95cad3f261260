// API tokens over real HTTP and WebSockets: made, listed and revoked by a
// person; the secret shown once and stored hashed; a bearer on HTTP and a
// socket's connection token; limited to a document, to its role and to its
// creator's role; never able to make tokens; revocation ends what is open.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSE_CODES } from '../../src/http/socket-guard.ts';
import { availableModes, codeOf, createDocument, gql, signUp, startServer, SUBMIT, subscribe, wsClient, type TestServer } from '../harness.ts';
import { closeCode, headersOf } from '../security/socket-helpers.ts';
import { waitFor } from '../wait-for.ts';
import { createToken, CREATE_TOKEN, stateOf } from './agent-helpers.ts';

const OPS_WITH_ACTOR = `subscription($id: ID!, $after: Int!) {
  documentOperations(documentId: $id, afterVersion: $after) { version actor { kind tokenName user { id } } }
}`;
const submit = (server: TestServer, token: string, documentId: string, baseVersion: number, seq: number, text = 'x') =>
  gql(server, SUBMIT, { input: { documentId, baseVersion, delta: { ops: [{ insert: text }] }, clientId: `c-${seq}-${Math.random()}`, clientSeq: seq } }, token);
const share = (server: TestServer, owner: string, id: string, email: string, role: string) =>
  gql(server, 'mutation($id: ID!, $e: String!, $r: Role!) { shareDocument(id: $id, email: $e, role: $r) { role } }', { id, e: email, r: role }, owner);

describe.each(availableModes())('API tokens (%s)', (mode) => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer(mode);
  });
  afterAll(() => server.stop());

  it('shows the secret once, stores only its SHA-256, and lists the token without it', async () => {
    const ann = await signUp(server, 'ann');
    const { secret, id } = await createToken(server, ann.token, { name: 'Summariser', role: 'VIEWER' });
    expect(secret).toMatch(/^cgat_[A-Za-z0-9_-]{43}$/);
    const row = await server.services.db.prisma.apiToken.findUniqueOrThrow({ where: { id } });
    expect(row.tokenHash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(secret.slice(5));
    const listed = await gql(server, '{ apiTokens { id name role documentId lastUsedAt } }', {}, ann.token);
    expect(listed.data?.apiTokens).toEqual([{ id, name: 'Summariser', role: 'VIEWER', documentId: null, lastUsedAt: null }]);
    // The secret is in no answer but the first: ApiToken has no field that holds it.
    expect(JSON.stringify(listed)).not.toContain(secret);
  });

  it('authenticates as a bearer over HTTP and as the connection token of a socket, attributed to the token', async () => {
    const ann = await signUp(server, 'ann');
    const id = await createDocument(server, ann.token, { ops: [{ insert: 'Hello\n' }] });
    const { secret } = await createToken(server, ann.token, { name: 'Spellchecker' });
    expect((await gql(server, '{ me { id } }', {}, secret)).data?.me).toEqual({ id: ann.userId });

    const client = wsClient(server, secret);
    const stream = subscribe(client, OPS_WITH_ACTOR, { id, after: 0 });
    await waitFor(stream.take(1), { what: 'the token socket to deliver version 1', state: () => stream.results });
    expect((await submit(server, secret, id, 1, 0)).data?.submitOperation).toMatchObject({ version: 2, author: { id: ann.userId } });
    await waitFor(stream.take(2), { what: 'the token socket to deliver version 2', state: () => stream.results });
    expect(stream.results.map((r) => r.data?.documentOperations)).toEqual([
      { version: 1, actor: { kind: 'PERSON', tokenName: null, user: { id: ann.userId } } },
      { version: 2, actor: { kind: 'TOKEN', tokenName: 'Spellchecker', user: { id: ann.userId } } },
    ]);
    await client.dispose();
  });

  it('records lastUsedAt on use', async () => {
    const ann = await signUp(server, 'ann');
    const { secret, id } = await createToken(server, ann.token);
    await gql(server, '{ me { id } }', {}, secret);
    // Written after the answer (never awaited by a request): wait for it.
    const read = () => server.services.db.prisma.apiToken.findUniqueOrThrow({ where: { id }, select: { lastUsedAt: true } });
    await waitFor(
      async () => {
        while ((await read()).lastUsedAt === null) await new Promise((r) => setImmediate(r));
      },
      { what: 'lastUsedAt to be written' },
    );
    const listed = await gql(server, '{ apiTokens { lastUsedAt } }', {}, ann.token);
    expect(typeof listed.data?.apiTokens[0].lastUsedAt).toBe('string');
  });

  it('revokes: the token is refused at once and its socket closes with 4002', async () => {
    const ann = await signUp(server, 'ann');
    const id = await createDocument(server, ann.token, { ops: [{ insert: 'Hello\n' }] });
    const token = await createToken(server, ann.token);
    const client = wsClient(server, token.secret);
    const stream = subscribe(client, OPS_WITH_ACTOR, { id, after: 0 });
    await waitFor(stream.take(1), { what: 'the token stream to start', state: () => stream.results });
    // An operation signed in by the token on its own (GraphiQL's Headers tab) ends too, with TOKEN_REVOKED.
    const anonymous = wsClient(server);
    const own = subscribe(anonymous, OPS_WITH_ACTOR, { id, after: 0 }, headersOf(token.secret));
    await waitFor(own.take(1), { what: 'the operation-token stream to start', state: () => own.results });

    expect((await gql(server, 'mutation($id: ID!) { revokeApiToken(id: $id) }', { id: token.id }, ann.token)).data).toEqual({ revokeApiToken: true });
    expect(closeCode(await waitFor(stream.ended(), { what: 'the token socket to close', state: () => stream.results }))).toBe(CLOSE_CODES.SESSION_REVOKED);
    await waitFor(own.ended(), { what: 'the operation-token stream to end', state: () => own.results });
    expect(own.results.at(-1)?.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_REVOKED' });

    // Over HTTP a revoked token is no token: reads see nobody, writes are UNAUTHENTICATED; nothing is written.
    expect((await gql(server, '{ me { id } }', {}, token.secret)).data?.me).toBeNull();
    expect(codeOf(await submit(server, token.secret, id, 1, 0))).toBe('UNAUTHENTICATED');
    expect((await stateOf(server, ann.token, id)).version).toBe(1);
    // A new socket with it is refused.
    const again = subscribe(wsClient(server, token.secret), OPS_WITH_ACTOR, { id, after: 0 });
    expect(closeCode(await again.ended())).toBe(4403);
    // Gone from the list; revoking again is still true; someone else's token is NOT_FOUND.
    expect((await gql(server, '{ apiTokens { id } }', {}, ann.token)).data?.apiTokens).toEqual([]);
    expect((await gql(server, 'mutation($id: ID!) { revokeApiToken(id: $id) }', { id: token.id }, ann.token)).data).toEqual({ revokeApiToken: true });
    const bob = await signUp(server, 'bob');
    const bobs = await createToken(server, bob.token);
    expect(codeOf(await gql(server, 'mutation($id: ID!) { revokeApiToken(id: $id) }', { id: bobs.id }, ann.token))).toBe('NOT_FOUND');
    expect((await gql(server, '{ me { id } }', {}, bobs.secret)).data?.me).toEqual({ id: bob.userId });
    await anonymous.dispose();
  });

  it('refuses a malformed, unknown or forged token as no token', async () => {
    for (const bad of ['cgat_', `cgat_${'A'.repeat(43)}`, `cgat_${'A'.repeat(44)}`, 'cgat_../../etc']) {
      expect((await gql(server, '{ me { id } }', {}, bad)).data?.me).toBeNull();
      expect(codeOf(await gql(server, 'mutation { createDocument(title: "x") { id } }', {}, bad))).toBe('UNAUTHENTICATED');
    }
  });

  it('limits a document token to its document: others are NOT_FOUND, as for a stranger', async () => {
    const ann = await signUp(server, 'ann');
    const mine = await createDocument(server, ann.token, { ops: [{ insert: 'Mine\n' }] });
    const other = await createDocument(server, ann.token, { ops: [{ insert: 'Other\n' }] });
    const { secret } = await createToken(server, ann.token, { documentId: mine });
    expect((await gql(server, 'query($id: ID!) { document(id: $id) { id myRole } }', { id: mine }, secret)).data?.document).toEqual({ id: mine, myRole: 'EDITOR' });
    expect((await gql(server, 'query($id: ID!) { document(id: $id) { id } }', { id: other }, secret)).data?.document).toBeNull();
    expect((await gql(server, '{ documents { edges { node { id } } } }', {}, secret)).data?.documents.edges).toEqual([{ node: { id: mine } }]);
    expect(codeOf(await submit(server, secret, other, 1, 0))).toBe('NOT_FOUND');
    const stream = subscribe(wsClient(server, secret), OPS_WITH_ACTOR, { id: other, after: 0 });
    expect(await stream.refusal()).toBe('NOT_FOUND');
    expect((await stateOf(server, ann.token, other)).version).toBe(1);
    expect((await submit(server, secret, mine, 1, 0)).data?.submitOperation).toMatchObject({ version: 2 });
  });

  it('makes a document token only for an owner of that document', async () => {
    const ann = await signUp(server, 'ann');
    const bob = await signUp(server, 'bob');
    const id = await createDocument(server, ann.token);
    const make = (person: string) => gql(server, CREATE_TOKEN, { name: 'agent', role: 'VIEWER', doc: id }, person);
    expect(codeOf(await make(bob.token))).toBe('NOT_FOUND');
    await share(server, ann.token, id, bob.email, 'EDITOR');
    expect((await make(bob.token)).errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', role: 'EDITOR' });
    expect(await server.services.db.prisma.apiToken.count({ where: { userId: bob.userId } })).toBe(0);
  });

  it("acts with the lower of its role and its creator's: a viewer token cannot write, an editor token of a viewer cannot either", async () => {
    const ann = await signUp(server, 'ann');
    const bob = await signUp(server, 'bob');
    const id = await createDocument(server, ann.token, { ops: [{ insert: 'Hi\n' }] });
    const viewerToken = await createToken(server, ann.token, { role: 'VIEWER' });
    expect((await gql(server, 'query($id: ID!) { document(id: $id) { myRole } }', { id }, viewerToken.secret)).data?.document).toEqual({ myRole: 'VIEWER' });
    expect((await submit(server, viewerToken.secret, id, 1, 0)).errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', role: 'VIEWER' });

    await share(server, ann.token, id, bob.email, 'VIEWER');
    const bobs = await createToken(server, bob.token, { role: 'EDITOR' });
    expect((await gql(server, 'query($id: ID!) { document(id: $id) { myRole } }', { id }, bobs.secret)).data?.document).toEqual({ myRole: 'VIEWER' });
    expect(codeOf(await submit(server, bobs.secret, id, 1, 1))).toBe('FORBIDDEN');
    // Owners' actions need a person, whatever the creator may do.
    const annsEditor = await createToken(server, ann.token, { role: 'EDITOR' });
    expect(codeOf(await gql(server, 'mutation($id: ID!) { renameDocument(id: $id, title: "x") { id } }', { id }, annsEditor.secret))).toBe('FORBIDDEN');
    expect(codeOf(await share(server, annsEditor.secret, id, bob.email, 'EDITOR'))).toBe('FORBIDDEN');
    expect(codeOf(await gql(server, 'mutation($id: ID!) { deleteDocument(id: $id) }', { id }, annsEditor.secret))).toBe('FORBIDDEN');
    expect((await gql(server, CREATE_TOKEN, { name: 'boss', role: 'OWNER', doc: null }, ann.token)).errors?.[0]?.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'TOKEN_ROLE',
    });
    expect(await stateOf(server, ann.token, id)).toEqual({ version: 1, text: 'Hi\n' });
    expect((await gql(server, 'query($id: ID!) { document(id: $id) { members { role } } }', { id }, ann.token)).data?.document.members).toEqual([
      { role: 'OWNER' },
      { role: 'VIEWER' },
    ]);
  });

  it('cannot make, list or revoke tokens, create documents or log out', async () => {
    const ann = await signUp(server, 'ann');
    const { secret, id } = await createToken(server, ann.token);
    const refused = [
      await gql(server, CREATE_TOKEN, { name: 'child', role: 'VIEWER', doc: null }, secret),
      await gql(server, '{ apiTokens { id } }', {}, secret),
      await gql(server, 'mutation($id: ID!) { revokeApiToken(id: $id) }', { id }, secret),
      await gql(server, 'mutation { createDocument(title: "x") { id } }', {}, secret),
      await gql(server, 'mutation { logOut }', {}, secret),
      await gql(server, 'mutation { logOutEverywhere }', {}, secret),
    ];
    for (const res of refused) expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN', reason: 'API_TOKEN' });
    expect(await server.services.db.prisma.apiToken.count({ where: { userId: ann.userId } })).toBe(1);
    expect((await gql(server, '{ me { id } }', {}, secret)).data?.me).toEqual({ id: ann.userId });
  });

  it('refuses bad names and unknown documents, changing nothing', async () => {
    const ann = await signUp(server, 'ann');
    for (const [name, doc] of [['', null], ['   ', null], ['x'.repeat(101), null], ['ok', 'no-such-document']] as const) {
      const res = await gql(server, CREATE_TOKEN, { name, role: 'EDITOR', doc }, ann.token);
      expect(res.status).toBeLessThan(500);
      expect(codeOf(res)).toBe(doc ? 'NOT_FOUND' : 'BAD_USER_INPUT');
    }
    expect(codeOf(await gql(server, CREATE_TOKEN, { name: 'x', role: 'EDITOR', doc: null }))).toBe('UNAUTHENTICATED');
    expect(await server.services.db.prisma.apiToken.count({ where: { userId: ann.userId } })).toBe(0);
  });
});

describe('API token rate limits', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('embedded', { RATE_LIMIT_SUBMIT_PER_TOKEN_RATE: '2', RATE_LIMIT_SUBMIT_PER_TOKEN_BURST: '0' });
  });
  afterAll(() => server.stop());

  it("holds a token to its own budget, apart from its creator's", async () => {
    const ann = await signUp(server, 'ann');
    const id = await createDocument(server, ann.token, { ops: [{ insert: 'Hi\n' }] });
    const { secret } = await createToken(server, ann.token);
    // Five at once: in any one or two one-second windows at most four pass.
    const results = await Promise.all([0, 1, 2, 3, 4].map((seq) => submit(server, secret, id, 1, seq)));
    const refused = results.filter((r) => codeOf(r) === 'RATE_LIMITED');
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]?.errors?.[0]?.extensions).toMatchObject({ limit: 'submitPerToken' });
    // The person's own budget is untouched.
    expect((await submit(server, ann.token, id, 1, 9)).data?.submitOperation.version).toBe(1 + results.length - refused.length + 1);
  });
});
