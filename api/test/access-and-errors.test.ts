// Every rejection path of the API (docs/protocol.md §9): the error code, and proof that
// nothing changed (document head, content and log).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableModes, codeOf, createDocument, gql, OPS_SUBSCRIPTION, signUp, startServer, subscribe, SUBMIT, wsClient, type TestServer } from './harness.ts';

const SNAPSHOT = `query($id: ID!) { document(id: $id) { version content operations(afterVersion: 0, first: 1000) { version delta } } }`;

describe.each(availableModes())('access control and typed errors (%s)', (mode) => {
  let server: TestServer;
  let owner: { token: string; email: string };
  let editor: { token: string; email: string };
  let viewer: { token: string; email: string };
  let stranger: { token: string; email: string; userId: string };
  let id: string;

  const state = async () => (await gql(server, SNAPSHOT, { id }, owner.token)).data?.document;
  const submit = (token: string | undefined, input: Record<string, unknown>) =>
    gql(server, SUBMIT, { input: { documentId: id, baseVersion: 1, delta: { ops: [{ insert: 'x' }] }, clientId: 'c', clientSeq: 0, ...input } }, token);

  /** Runs `attempt`, expects `code`, and checks the document did not change. */
  async function rejects(code: string, attempt: () => Promise<{ errors?: Array<{ extensions?: { code?: string } }> }>) {
    const before = await state();
    const res = await attempt();
    expect(codeOf(res), JSON.stringify(res.errors)).toBe(code);
    expect(await state()).toEqual(before);
  }

  beforeAll(async () => {
    server = await startServer(mode);
    [owner, editor, viewer, stranger] = await Promise.all([signUp(server, 'owner'), signUp(server, 'editor'), signUp(server, 'viewer'), signUp(server, 'stranger')]);
    id = await createDocument(server, owner.token, { ops: [{ insert: 'Hello\n' }] });
    for (const [who, role] of [[editor, 'EDITOR'], [viewer, 'VIEWER']] as const) {
      const res = await gql(server, 'mutation($id: ID!, $e: String!, $r: Role!) { shareDocument(id: $id, email: $e, role: $r) { role user { email } } }', { id, e: who.email, r: role }, owner.token);
      expect(res.data?.shareDocument).toEqual({ role, user: { email: who.email } });
    }
  });
  afterAll(async () => {
    await server?.stop();
  });

  describe('roles', () => {
    it('lets viewers read but not write, rename, share or delete', async () => {
      const read = await gql(server, 'query($id: ID!) { document(id: $id) { myRole content members { role } } }', { id }, viewer.token);
      expect(read.data?.document).toMatchObject({ myRole: 'VIEWER', content: { ops: [{ insert: 'Hello\n' }] } });
      await rejects('FORBIDDEN', () => submit(viewer.token, {}));
      await rejects('FORBIDDEN', () => gql(server, 'mutation($id: ID!) { restoreVersion(documentId: $id, version: 0) { version } }', { id }, viewer.token));
      await rejects('FORBIDDEN', () => gql(server, 'mutation($id: ID!) { renameDocument(id: $id, title: "Mine") { id } }', { id }, viewer.token));
      await rejects('FORBIDDEN', () => gql(server, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: OWNER) { role } }', { id, e: viewer.email }, viewer.token));
      await rejects('FORBIDDEN', () => gql(server, 'mutation($id: ID!) { deleteDocument(id: $id) }', { id }, viewer.token));
    });

    it('lets editors write but not rename, share or delete', async () => {
      await rejects('FORBIDDEN', () => gql(server, 'mutation($id: ID!) { renameDocument(id: $id, title: "Mine") { id } }', { id }, editor.token));
      await rejects('FORBIDDEN', () => gql(server, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: EDITOR) { role } }', { id, e: stranger.email }, editor.token));
      await rejects('FORBIDDEN', () => gql(server, 'mutation($id: ID!) { deleteDocument(id: $id) }', { id }, editor.token));
      const other = await createDocument(server, owner.token);
      await gql(server, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: EDITOR) { role } }', { id: other, e: editor.email }, owner.token);
      const ok = await gql(server, SUBMIT, { input: { documentId: other, baseVersion: 0, delta: { ops: [{ insert: 'hi' }] }, clientId: 'e', clientSeq: 0 } }, editor.token);
      expect(ok.data?.submitOperation).toMatchObject({ version: 1, clientId: 'e' });
    });

    it('applies a role change to the very next submission (roles are cached per node, and forgotten on change)', async () => {
      const other = await createDocument(server, owner.token);
      const share = (role: string) =>
        gql(server, 'mutation($id: ID!, $e: String!, $r: Role!) { shareDocument(id: $id, email: $e, role: $r) { role } }', { id: other, e: stranger.email, r: role }, owner.token);
      const write = (seq: number) =>
        gql(server, SUBMIT, { input: { documentId: other, baseVersion: 0, delta: { ops: [{ insert: 'x' }] }, clientId: 'downgraded', clientSeq: seq } }, stranger.token);
      await share('EDITOR');
      expect((await write(0)).data?.submitOperation).toMatchObject({ version: 1 });
      await share('VIEWER');
      const refused = await write(1);
      expect(codeOf(refused)).toBe('FORBIDDEN');
      await share('EDITOR');
      expect((await write(1)).data?.submitOperation).toMatchObject({ version: 2 });
      await gql(server, 'mutation($id: ID!, $u: ID!) { removeMember(documentId: $id, userId: $u) }', { id: other, u: stranger.userId }, owner.token);
      expect(codeOf(await write(2))).toBe('NOT_FOUND');
      const log = await gql(server, 'query($id: ID!) { document(id: $id) { version } }', { id: other }, owner.token);
      expect(log.data?.document).toEqual({ version: 2 });
    });

    it('shows strangers nothing: unknown and forbidden documents look the same', async () => {
      const unknown = '00000000-0000-0000-0000-000000000000';
      for (const docId of [id, unknown]) {
        const read = await gql(server, 'query($id: ID!) { document(id: $id) { id } }', { id: docId }, stranger.token);
        expect(read.data).toEqual({ document: null });
        expect(read.errors).toBeUndefined();
      }
      await rejects('NOT_FOUND', () => submit(stranger.token, {}));
      await rejects('NOT_FOUND', () => gql(server, 'mutation($id: ID!) { renameDocument(id: $id, title: "Mine") { id } }', { id }, stranger.token));
      await rejects('NOT_FOUND', () => gql(server, 'mutation($id: ID!) { deleteDocument(id: $id) }', { id }, stranger.token));
      await rejects('NOT_FOUND', () => gql(server, 'mutation($id: ID!) { updatePresence(documentId: $id, version: 0, index: 0, length: 0) }', { id }, stranger.token));
      const list = await gql(server, '{ documents { edges { node { id } } } }', {}, stranger.token);
      expect(list.data?.documents.edges).toEqual([]);
    });

    it('refuses strangers a subscription with NOT_FOUND', async () => {
      const client = wsClient(server, stranger.token);
      for (const [query, variables] of [
        [OPS_SUBSCRIPTION, { id, after: 0 }],
        ['subscription($id: ID!) { documentPresence(documentId: $id) { clientId } }', { id }],
      ] as const) {
        const stream = subscribe(client, query, variables);
        expect(await stream.refusal()).toBe('NOT_FOUND');
      }
      await client.dispose();
    });

    it('asks anonymous callers to log in', async () => {
      expect((await gql(server, '{ me { id } }')).data).toEqual({ me: null });
      await rejects('UNAUTHENTICATED', () => submit(undefined, {}));
      expect(codeOf(await gql(server, '{ documents { edges { node { id } } } }'))).toBe('UNAUTHENTICATED');
      expect(codeOf(await gql(server, 'mutation { createDocument(title: "x") { id } }'))).toBe('UNAUTHENTICATED');
      // Its signature's first character changed: the last ones may carry
      // padding bits, and a new last pair was, about once in a thousand
      // tokens, the same signature (base64url decodes both alike).
      const [header, payload, signature] = owner.token.split('.');
      const altered = `${header}.${payload}.${signature!.startsWith('A') ? 'B' : 'A'}${signature!.slice(1)}`;
      const forged = await gql(server, '{ documents { edges { node { id } } } }', {}, altered);
      expect(codeOf(forged)).toBe('UNAUTHENTICATED');
      const client = wsClient(server);
      const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 });
      expect(await stream.refusal()).toBe('UNAUTHENTICATED');
      await client.dispose();
    });

    it('accepts a bearer token sent with the operation (GraphiQL Headers tab) on an anonymous socket', async () => {
      const client = wsClient(server);
      const results: Array<{ data?: unknown; errors?: Array<{ extensions?: { code?: string } }> }> = [];
      const run = (authorization: string) =>
        new Promise<void>((resolve) => {
          client.subscribe(
            { query: 'query($id: ID!) { document(id: $id) { myRole } }', variables: { id }, extensions: { headers: { Authorization: authorization } } },
            { next: (r) => results.push(r as never), error: (e) => { results.push({ errors: e as never }); resolve(); }, complete: () => resolve() },
          );
        });
      await run(`Bearer ${viewer.token}`);
      await run('Bearer not-a-token');
      expect(results[0]).toEqual({ data: { document: { myRole: 'VIEWER' } } });
      expect(results[1]?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
      await client.dispose();
    });

    it('closes a socket that presents a bad token (4403)', async () => {
      const client = wsClient(server, 'not-a-token');
      const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: 0 });
      const failure = (await stream.ended()) as { code?: number };
      expect(failure?.code).toBe(4403);
      await client.dispose();
    });
  });

  describe('bad input', () => {
    it.each([
      ['not an object', 'hello'],
      ['ops missing', {}],
      ['ops not a list', { ops: 'x' }],
      ['unknown top-level field', { ops: [], extra: 1 }],
      ['op not an object', { ops: [1] }],
      ['two kinds in one op', { ops: [{ insert: 'a', delete: 1 }] }],
      ['no kind', { ops: [{ attributes: { bold: true } }] }],
      ['empty insert', { ops: [{ insert: '' }] }],
      ['empty embed', { ops: [{ insert: {} }] }],
      ['embed with two keys', { ops: [{ insert: { image: 'a', video: 'b' } }] }],
      ['zero retain', { ops: [{ retain: 0 }, { insert: 'a' }] }],
      ['negative delete', { ops: [{ delete: -1 }] }],
      ['fractional retain', { ops: [{ retain: 1.5 }, { insert: 'a' }] }],
      ['string count', { ops: [{ retain: '1' }, { insert: 'a' }] }],
      ['object retain', { ops: [{ retain: { image: 'x' } }] }],
      ['attributes not an object', { ops: [{ insert: 'a', attributes: 'bold' }] }],
      ['nested attribute', { ops: [{ insert: 'a', attributes: { bold: { x: 1 } } }] }],
      ['attributes on delete', { ops: [{ delete: 1, attributes: { bold: true } }] }],
      ['unknown op field', { ops: [{ insert: 'a', color: 'red' }] }],
      ['too many ops', { ops: Array.from({ length: 10_001 }, (_, i) => (i % 2 ? { retain: 1 } : { retain: 1, attributes: { bold: true } })) }],
    ])('rejects a malformed delta (%s) with BAD_USER_INPUT', async (_name, delta) => {
      await rejects('BAD_USER_INPUT', () => submit(editor.token, { delta }));
    });

    it('keeps the error message short when the refused value is huge (it is not echoed whole)', async () => {
      const delta = { ops: Array.from({ length: 10_001 }, (_, i) => ({ insert: `${'y'.repeat(20)}${i}`, attributes: { bold: true } })) };
      let message = '';
      await rejects('BAD_USER_INPUT', async () => {
        const res = await submit(editor.token, { delta });
        message = res.errors?.[0]?.message ?? '';
        return res;
      });
      expect(message.length).toBeGreaterThan(0);
      expect(message.length).toBeLessThanOrEqual(1_100);
    });

    it('rejects a delta that does not apply to its base version', async () => {
      const { version, content } = (await state())!;
      const length = content.ops.reduce((n: number, op: { insert: string }) => n + op.insert.length, 0);
      await rejects('BAD_USER_INPUT', () => submit(editor.token, { baseVersion: version, delta: { ops: [{ retain: length + 1 }, { insert: 'x' }] } }));
      await rejects('BAD_USER_INPUT', () => submit(editor.token, { baseVersion: version, delta: { ops: [{ delete: length + 1 }] } }));
    });

    it('rejects a baseVersion ahead of the head, and other out-of-range numbers', async () => {
      const { version } = (await state())!;
      await rejects('BAD_USER_INPUT', () => submit(editor.token, { baseVersion: version + 1 }));
      await rejects('BAD_USER_INPUT', () => submit(editor.token, { baseVersion: -1 }));
      await rejects('BAD_USER_INPUT', () => submit(editor.token, { clientSeq: -1 }));
      await rejects('BAD_USER_INPUT', () => submit(editor.token, { clientId: '' }));
      await rejects('BAD_USER_INPUT', () => submit(editor.token, { clientId: 'x'.repeat(129) }));
      // A run's end outside the content at the base (the document is "Hello\n" and more: never 10,000 long).
      await rejects('BAD_USER_INPUT', () => submit(editor.token, { baseVersion: version, runEnd: -1 }));
      await rejects('BAD_USER_INPUT', () => submit(editor.token, { baseVersion: version, runEnd: 10_000 }));
      await rejects('BAD_USER_INPUT', () => submit(editor.token, { baseVersion: version, runEnd: 1.5 }));
      await rejects('BAD_USER_INPUT', () => gql(server, 'query($id: ID!) { document(id: $id) { contentAt(version: 999) } }', { id }, owner.token));
      await rejects('BAD_USER_INPUT', () => gql(server, 'query($id: ID!) { document(id: $id) { operations(afterVersion: 0, first: 100000) { version } } }', { id }, owner.token));
      await rejects('BAD_USER_INPUT', () => gql(server, 'mutation($id: ID!) { restoreVersion(documentId: $id, version: 999) { version } }', { id }, owner.token));
      await rejects('BAD_USER_INPUT', () => gql(server, 'mutation { createDocument(title: "x", content: {ops: [{retain: 1}]}) { id } }', { id }, owner.token));
      const client = wsClient(server, owner.token);
      const stream = subscribe(client, OPS_SUBSCRIPTION, { id, after: version + 5 });
      expect(await stream.refusal()).toBe('BAD_USER_INPUT');
      await client.dispose();
    });

    it('rejects an oversized request body with BAD_USER_INPUT (413)', async () => {
      const before = await state();
      const res = await submit(editor.token, { delta: { ops: [{ insert: 'x'.repeat(2 * 1024 * 1024) }] } });
      expect(res.status).toBe(413);
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(await state()).toEqual(before);
    });

    it('rejects bad sign-up and log-in input', async () => {
      const signUpWith = (email: string, password: string, name: string) =>
        gql(server, 'mutation($e: String!, $p: String!, $n: String!) { signUp(email: $e, password: $p, name: $n) { accessToken } }', { e: email, p: password, n: name });
      expect(codeOf(await signUpWith('not-an-email', 'long enough', 'N'))).toBe('BAD_USER_INPUT');
      expect(codeOf(await signUpWith('ok@example.com', 'short', 'N'))).toBe('BAD_USER_INPUT');
      expect(codeOf(await signUpWith('ok@example.com', 'long enough', ' '))).toBe('BAD_USER_INPUT');
      expect(codeOf(await signUpWith(owner.email.toUpperCase(), 'long enough', 'Dup'))).toBe('BAD_USER_INPUT');
      const wrong = await gql(server, 'mutation($e: String!) { logIn(email: $e, password: "wrong password") { accessToken } }', { e: owner.email });
      expect(codeOf(wrong)).toBe('UNAUTHENTICATED');
      const right = await gql(server, 'mutation($e: String!) { logIn(email: $e, password: "correct horse") { accessToken user { email } } }', { e: owner.email });
      expect(right.data?.logIn.user.email).toBe(owner.email);
    });
  });

  describe('sessions', () => {
    it('rotates the refresh cookie and revokes the family when an old one is replayed', async () => {
      const login = await gql(server, 'mutation($e: String!) { logIn(email: $e, password: "correct horse") { accessToken } }', { e: owner.email });
      const cookie = login.headers.get('set-cookie')!;
      expect(cookie).toMatch(/^refresh_token=[^;]+; Path=\/graphql; Max-Age=\d+; HttpOnly; SameSite=Strict/);
      expect(login.headers.get('cache-control')).toBe('no-store');
      const first = cookie.split(';')[0]!;
      const refreshed = await gql(server, 'mutation { refreshSession { accessToken user { email } } }', {}, undefined, { cookie: first });
      expect(refreshed.data?.refreshSession.user.email).toBe(owner.email);
      const second = refreshed.headers.get('set-cookie')!.split(';')[0]!;
      expect(second).not.toBe(first);
      // Replaying the rotated token: refused, and the newer token dies with it.
      expect(codeOf(await gql(server, 'mutation { refreshSession { accessToken } }', {}, undefined, { cookie: first }))).toBe('UNAUTHENTICATED');
      expect(codeOf(await gql(server, 'mutation { refreshSession { accessToken } }', {}, undefined, { cookie: second }))).toBe('UNAUTHENTICATED');
    });
  });
});
