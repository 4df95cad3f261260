// Share by link: an owner's revocable link gives its role to whoever opens
// it signed in; revoking it ends exactly the access it gave, streams
// included. Every refusal: its code, and that nothing changed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableModes, codeOf, createDocument, gql, OPS_SUBSCRIPTION, SHARE, share, signUp, startServer, subscribe, SUBMIT, wsClient, type TestServer } from '../harness.ts';

const CREATE = 'mutation($id: ID!, $r: Role!) { createShareLink(documentId: $id, role: $r) { secret link { id role createdBy { id } } } }';
const REVOKE = 'mutation($id: ID!) { revokeShareLink(id: $id) }';
const JOIN = 'mutation($s: String!) { joinDocument(secret: $s) { id myRole } }';
const LINKS = 'query($id: ID!) { document(id: $id) { shareLinks { id role } } }';
type User = { token: string; userId: string; email: string };

describe.each(availableModes())('share links (%s)', (mode) => {
  let server: TestServer;
  let owner: User;

  const members = async (id: string) =>
    ((await gql(server, 'query($id: ID!) { document(id: $id) { members { user { id } role } } }', { id }, owner.token)).data?.document?.members ?? [])
      .map((m: { user: { id: string }; role: string }) => `${m.user.id}:${m.role}`)
      .sort();
  const link = async (id: string, role: string) => {
    const res = await gql(server, CREATE, { id, r: role }, owner.token);
    expect(res.errors).toBeUndefined();
    return res.data!.createShareLink as { secret: string; link: { id: string; role: string; createdBy: { id: string } } };
  };
  const edit = (id: string, token: string, clientSeq: number) =>
    gql(server, SUBMIT, { input: { documentId: id, baseVersion: 0, delta: { ops: [{ insert: 'x' }] }, clientId: `l-${token.slice(-6)}`, clientSeq } }, token);
  // Share budgets are 1 a second per user: each person acts once or twice a test.
  const newUser = () => signUp(server);

  beforeAll(async () => {
    server = await startServer(mode);
    owner = await signUp(server, 'owner');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('gives its role to whoever opens it, shows the secret once and stores only its hash', async () => {
    const id = await createDocument(server, owner.token, { ops: [{ insert: 'Hello\n' }] });
    const made = await link(id, 'EDITOR');
    expect(made.secret).toMatch(/^cgsl_[A-Za-z0-9_-]{32}$/);
    expect(made.link).toMatchObject({ role: 'EDITOR', createdBy: { id: owner.userId } });
    expect((await gql(server, LINKS, { id }, owner.token)).data?.document.shareLinks).toEqual([{ id: made.link.id, role: 'EDITOR' }]);
    const stored = await server.services.db.prisma.shareLink.findUnique({ where: { id: made.link.id } });
    expect(JSON.stringify(stored)).not.toContain(made.secret.slice(5));

    const bob = await newUser();
    expect((await gql(server, JOIN, { s: made.secret }, bob.token)).data).toEqual({ joinDocument: { id, myRole: 'EDITOR' } });
    expect((await edit(id, bob.token, 0)).errors).toBeUndefined();
    // Joining again changes nothing.
    expect((await gql(server, JOIN, { s: made.secret }, bob.token)).data).toEqual({ joinDocument: { id, myRole: 'EDITOR' } });
  });

  it('never lowers a role: an owner stays owner, a viewer opening an editor link becomes an editor', async () => {
    const id = await createDocument(server, owner.token);
    const editorLink = await link(id, 'EDITOR');
    const viewer = await newUser();
    await share(server, owner.token, id, viewer.email, 'VIEWER');
    await new Promise((resolve) => setTimeout(resolve, 1_100)); // the owner's share budget
    const viewerLink = await link(id, 'VIEWER');
    expect((await gql(server, JOIN, { s: viewerLink.secret }, owner.token)).data?.joinDocument.myRole).toBe('OWNER');
    expect((await gql(server, JOIN, { s: editorLink.secret }, viewer.token)).data?.joinDocument.myRole).toBe('EDITOR');
  });

  it('revoking ends the access it gave, live streams included; a member since shared by email keeps theirs', async () => {
    const id = await createDocument(server, owner.token, { ops: [{ insert: 'Hi\n' }] });
    const made = await link(id, 'EDITOR');
    const [bob, carol] = await Promise.all([newUser(), newUser()]);
    await gql(server, JOIN, { s: made.secret }, bob.token);
    await gql(server, JOIN, { s: made.secret }, carol.token);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    // Carol is then shared by email: her access is the owner's own grant now.
    expect((await gql(server, SHARE, { id, e: carol.email, r: 'VIEWER' }, owner.token)).errors).toBeUndefined();

    const bobSocket = wsClient(server, bob.token);
    const stream = subscribe(bobSocket, OPS_SUBSCRIPTION, { id, after: 0 });
    await stream.take(1);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await gql(server, REVOKE, { id: made.link.id }, owner.token)).data).toEqual({ revokeShareLink: true });

    await stream.ended();
    expect(stream.results.at(-1)?.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'ACCESS_REVOKED' });
    expect(await members(id)).toEqual([`${carol.userId}:VIEWER`, `${owner.userId}:OWNER`].sort());
    expect((await gql(server, 'query($id: ID!) { document(id: $id) { id } }', { id }, bob.token)).data).toEqual({ document: null });
    expect((await gql(server, LINKS, { id }, owner.token)).data?.document.shareLinks).toEqual([]);
    // The link no longer works, for anyone.
    const dave = await newUser();
    const refused = await gql(server, JOIN, { s: made.secret }, dave.token);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'LINK_INVALID' });
    await bobSocket.dispose();
  });

  it('refuses bad links and the wrong people with a typed error, changing nothing', async () => {
    const id = await createDocument(server, owner.token);
    const made = await link(id, 'VIEWER');
    const [editor, stranger] = await Promise.all([newUser(), newUser()]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await share(server, owner.token, id, editor.email, 'EDITOR');
    const before = await members(id);
    const linksBefore = (await gql(server, LINKS, { id }, owner.token)).data?.document.shareLinks;

    for (const secret of ['', 'cgsl_', 'cgsl_' + 'A'.repeat(32), made.secret + 'x', 'x'.repeat(10_000), 'cgat_' + made.secret.slice(5)]) {
      const res = await gql(server, JOIN, { s: secret }, stranger.token);
      expect(res.errors?.[0]?.extensions, secret.slice(0, 20)).toMatchObject({ code: 'NOT_FOUND', reason: 'LINK_INVALID' });
    }
    expect(codeOf(await gql(server, JOIN, { s: made.secret }))).toBe('UNAUTHENTICATED');
    expect(codeOf(await gql(server, CREATE, { id, r: 'OWNER' }, owner.token))).toBe('BAD_USER_INPUT');
    expect(codeOf(await gql(server, CREATE, { id, r: 'EDITOR' }, editor.token))).toBe('FORBIDDEN');
    expect(codeOf(await gql(server, CREATE, { id, r: 'EDITOR' }, stranger.token))).toBe('NOT_FOUND');
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(codeOf(await gql(server, REVOKE, { id: made.link.id }, editor.token))).toBe('FORBIDDEN');
    expect(codeOf(await gql(server, REVOKE, { id: made.link.id }, stranger.token))).toBe('NOT_FOUND');
    expect(codeOf(await gql(server, REVOKE, { id: '00000000-0000-0000-0000-000000000000' }, owner.token))).toBe('NOT_FOUND');
    expect(codeOf(await gql(server, LINKS, { id }, editor.token))).toBe('FORBIDDEN');
    // An API token cannot make, revoke or use links: a person must.
    const token = (await gql(server, 'mutation($id: ID!) { createApiToken(name: "bot", role: EDITOR, documentId: $id) { token } }', { id }, owner.token)).data?.createApiToken.token as string;
    expect(codeOf(await gql(server, CREATE, { id, r: 'VIEWER' }, token))).toBe('FORBIDDEN');
    expect(codeOf(await gql(server, JOIN, { s: made.secret }, token))).toBe('FORBIDDEN');

    expect(await members(id)).toEqual(before);
    expect((await gql(server, LINKS, { id }, owner.token)).data?.document.shareLinks).toEqual(linksBefore);
  });
});
