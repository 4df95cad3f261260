// Member management: change role, remove member, and the end of a removed
// member's (or a deleted document's) live streams. Each rejection: its code,
// and that membership and document are unchanged.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableModes, codeOf, createDocument, DOC_STATE, gql, OPS_SUBSCRIPTION, SHARE, share, signUp, startServer, subscribe, SUBMIT, wsClient, type TestServer } from '../harness.ts';

const REMOVE = 'mutation($id: ID!, $u: ID!) { removeMember(documentId: $id, userId: $u) }';
const PRESENCE = 'subscription($id: ID!) { documentPresence(documentId: $id) { clientId } }';
type User = { token: string; userId: string; email: string };

describe.each(availableModes())('members (%s)', (mode) => {
  let server: TestServer;
  let owner: User;
  let editor: User;
  let viewer: User;
  let stranger: User;

  const members = async (id: string) =>
    (await gql(server, 'query($id: ID!) { document(id: $id) { members { user { id } role } } }', { id }, owner.token)).data?.document?.members;
  const state = async (id: string) => (await gql(server, DOC_STATE, { id }, owner.token)).data?.document;
  const edit = (id: string, token: string, clientSeq: number) =>
    gql(server, SUBMIT, { input: { documentId: id, baseVersion: 0, delta: { ops: [{ insert: 'x' }] }, clientId: `m-${token.slice(-6)}`, clientSeq } }, token);

  /** A document owned by `owner`, with editor (EDITOR) and viewer (VIEWER). */
  async function sharedDocument(): Promise<string> {
    const id = await createDocument(server, owner.token, { ops: [{ insert: 'Hello\n' }] });
    await share(server, owner.token, id, editor.email, 'EDITOR');
    await share(server, owner.token, id, viewer.email, 'VIEWER');
    return id;
  }

  beforeAll(async () => {
    server = await startServer(mode);
    [owner, editor, viewer, stranger] = await Promise.all([signUp(server, 'owner'), signUp(server, 'editor'), signUp(server, 'viewer'), signUp(server, 'stranger')]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lets the owner change a role with shareDocument: a demoted editor can no longer write', async () => {
    const id = await sharedDocument();
    expect((await gql(server, SHARE, { id, e: editor.email, r: 'VIEWER' }, owner.token)).data?.shareDocument).toEqual({ role: 'VIEWER' });
    const before = await state(id);
    expect(codeOf(await edit(id, editor.token, 0))).toBe('FORBIDDEN');
    expect(await state(id)).toEqual(before);
  });

  it('refuses removeMember to non-owners, strangers, for oneself and for non-members; membership unchanged', async () => {
    const id = await sharedDocument();
    const before = await members(id);
    const attempt = (token: string, userId: string) => gql(server, REMOVE, { id, u: userId }, token);
    expect(codeOf(await attempt(editor.token, viewer.userId))).toBe('FORBIDDEN');
    expect(codeOf(await attempt(viewer.token, editor.userId))).toBe('FORBIDDEN');
    expect(codeOf(await attempt(stranger.token, editor.userId))).toBe('NOT_FOUND');
    expect(codeOf(await gql(server, REMOVE, { id, u: editor.userId }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await attempt(owner.token, owner.userId))).toBe('BAD_USER_INPUT');
    expect(codeOf(await attempt(owner.token, stranger.userId))).toBe('NOT_FOUND');
    expect(codeOf(await gql(server, REMOVE, { id: '00000000-0000-0000-0000-000000000000', u: editor.userId }, owner.token))).toBe('NOT_FOUND');
    expect(await members(id)).toEqual(before);
  });

  it("ends a removed member's live streams at once with NOT_FOUND; other members' streams go on", async () => {
    const id = await sharedDocument();
    const editorSocket = wsClient(server, editor.token);
    const viewerSocket = wsClient(server, viewer.token);
    const ops = subscribe(editorSocket, OPS_SUBSCRIPTION, { id, after: 0 });
    const presence = subscribe(editorSocket, PRESENCE, { id });
    const others = subscribe(viewerSocket, OPS_SUBSCRIPTION, { id, after: 0 });
    await Promise.all([ops.take(1), others.take(1)]);
    // Presence has no catch-up here: prove that stream is live with an update.
    await gql(server, 'mutation($id: ID!) { updatePresence(documentId: $id, version: 1, index: 0, length: 0, clientId: "p") }', { id }, owner.token);
    await presence.take(1);

    expect((await gql(server, REMOVE, { id, u: editor.userId }, owner.token)).data).toEqual({ removeMember: true });

    for (const stream of [ops, presence]) {
      await stream.ended();
      const last = stream.results.at(-1);
      expect(last?.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'ACCESS_REVOKED' });
      expect(stream.failure).toBeNull(); // the stream completed; the socket stays open
    }
    expect((await members(id)).map((m: { user: { id: string } }) => m.user.id)).not.toContain(editor.userId);
    // The removed member now sees what a stranger sees, and cannot write.
    expect((await gql(server, 'query($id: ID!) { document(id: $id) { id } }', { id }, editor.token)).data).toEqual({ document: null });
    const before = await state(id);
    expect(codeOf(await edit(id, editor.token, 1))).toBe('NOT_FOUND');
    expect(await state(id)).toEqual(before);
    // The viewer's stream is still live: it gets the owner's next op.
    expect((await edit(id, owner.token, 0)).data?.submitOperation.version).toBe(2);
    expect((await others.take(2))[1]?.data?.documentOperations.version).toBe(2);
    // The removed member's socket still serves other documents.
    const other = await createDocument(server, editor.token, { ops: [{ insert: 'mine\n' }] });
    const mine = subscribe(editorSocket, OPS_SUBSCRIPTION, { id: other, after: 0 });
    expect((await mine.take(1))[0]?.data?.documentOperations.version).toBe(1);
    await Promise.all([editorSocket.dispose(), viewerSocket.dispose()]);
  });

  it('of two owners demoting each other at the same moment, one wins (the other gets FORBIDDEN): no document ends without an owner', async () => {
    const coOwner = await signUp(server);
    const ids = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const id = await createDocument(server, owner.token);
        await share(server, owner.token, id, coOwner.email, 'OWNER');
        return id;
      }),
    );
    const replies = await Promise.all(
      ids.flatMap((id) => [gql(server, SHARE, { id, e: coOwner.email, r: 'EDITOR' }, owner.token), gql(server, SHARE, { id, e: owner.email, r: 'EDITOR' }, coOwner.token)]),
    );
    for (const [i, id] of ids.entries()) {
      const pair = replies.slice(2 * i, 2 * i + 2);
      expect(pair.map((r) => r.status)).toEqual([200, 200]);
      expect(pair.map((r) => (r.data?.shareDocument ? 'ok' : codeOf(r))).sort()).toEqual(['FORBIDDEN', 'ok']);
      const roles = (await server.services.db.prisma.documentMember.findMany({ where: { documentId: id }, select: { role: true } })).map((m) => m.role).sort();
      expect(roles).toEqual(['EDITOR', 'OWNER']);
    }
  });

  it('refuses removeMember and shareDocument from an owner who was demoted meanwhile (FORBIDDEN), changing nothing', async () => {
    const coOwner = await signUp(server);
    const id = await sharedDocument();
    await share(server, owner.token, id, coOwner.email, 'OWNER');
    await share(server, owner.token, id, coOwner.email, 'VIEWER');
    const before = await members(id);
    expect(codeOf(await gql(server, REMOVE, { id, u: owner.userId }, coOwner.token))).toBe('FORBIDDEN');
    expect(codeOf(await gql(server, SHARE, { id, e: owner.email, r: 'VIEWER' }, coOwner.token))).toBe('FORBIDDEN');
    expect(await members(id)).toEqual(before);
  });

  it('ends every live stream of a deleted document with NOT_FOUND', async () => {
    const id = await sharedDocument();
    const socket = wsClient(server, viewer.token);
    const ownerSocket = wsClient(server, owner.token);
    const streams = [subscribe(socket, OPS_SUBSCRIPTION, { id, after: 0 }), subscribe(ownerSocket, OPS_SUBSCRIPTION, { id, after: 0 })];
    await Promise.all(streams.map((s) => s.take(1)));
    expect((await gql(server, 'mutation($id: ID!) { deleteDocument(id: $id) }', { id }, owner.token)).data).toEqual({ deleteDocument: true });
    for (const stream of streams) {
      await stream.ended();
      expect(stream.results.at(-1)?.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'DOCUMENT_DELETED' });
    }
    await Promise.all([socket.dispose(), ownerSocket.dispose()]);
  });
});
