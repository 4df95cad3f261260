// Comment threads and the COMMENTER role over real HTTP and sockets, in
// both modes: who may do what (stranger NOT_FOUND, VIEWER FORBIDDEN,
// COMMENTER allowed), bad input refused with nothing changed, anchors that
// move with the text and detach when it is deleted, a demotion that ends
// the thread stream, and (scaled) threads streaming to another node.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Delta } from '../../protocol/delta.ts';
import { AppendConflict } from '../src/collab/types.ts';
import { Comments } from '../src/comments/threads.ts';
import { availableModes, codeOf, createDocument, gql, hasScaled, SHARE, share, signUp, startServer, SUBMIT, subscribe, suiteNodeGroup, type TestServer, wsClient } from './harness.ts';
import { prng, randomEdit } from './random-edits.ts';
import { slowRequest } from './support/slow-request.ts';
import { waitFor } from './wait-for.ts';

const THREAD = 'id quote status anchor { version index length } comments { id body author { id } editedAt } createdAt';
const OPEN = `mutation($d: ID!, $v: Int!, $i: Int!, $l: Int!, $b: String!) { openThread(documentId: $d, version: $v, index: $i, length: $l, body: $b) { ${THREAD} } }`;
const REPLY = 'mutation($t: ID!, $b: String!) { replyToThread(threadId: $t, body: $b) { id body author { id } } }';
const RESOLVE = `mutation($t: ID!) { resolveThread(threadId: $t) { ${THREAD} } }`;
const REOPEN = `mutation($t: ID!) { reopenThread(threadId: $t) { ${THREAD} } }`;
const EDIT = 'mutation($c: ID!, $b: String!) { editComment(commentId: $c, body: $b) { id body editedAt } }';
const DELETE = 'mutation($c: ID!) { deleteComment(commentId: $c) }';
const THREADS = `query($d: ID!, $s: ThreadStatus) { document(id: $d) { threads(status: $s) { ${THREAD} } } }`;
const WATCH = `subscription($d: ID!) { documentThreads(documentId: $d) { ${THREAD} } }`;

type User = { token: string; email: string; userId: string };

/**
 * Waits until `stream` is live (graphql-ws does not acknowledge a
 * subscription): makes probe threads until one arrives, then one more, and
 * waits for that one. Events of one publisher arrive in order, so every
 * probe event still to come is in by then: returns how many results the
 * stream holds, the index where the test's own events start.
 */
async function untilLive(stream: { results: Array<{ data?: { documentThreads: Thread } }>; take(n: number): Promise<unknown[]> }, probe: () => Promise<Thread>): Promise<number> {
  while (stream.results.length === 0) await probe();
  const fence = await probe();
  for (let n = 1; !stream.results.some((r) => r.data?.documentThreads.id === fence.id); n++) {
    if ((await stream.take(n)).length < n) throw new Error(`the thread stream ended: ${JSON.stringify(stream.results.at(-1))}`);
  }
  return stream.results.length;
}
type Thread = { id: string; quote: string; status: string; anchor: { version: number; index: number; length: number } | null; comments: Array<{ id: string; body: string; author: { id: string } | null; editedAt: string | null }> };

describe.each(availableModes())('comment threads (%s)', (mode) => {
  let server: TestServer;
  let owner: User, editor: User, commenter: User, viewer: User, stranger: User;

  /** Everything comments and the document are made of, straight from the database. */
  const dbState = async (documentId: string) => {
    const prisma = server.services.db.prisma;
    return {
      threads: await prisma.commentThread.findMany({ where: { documentId }, orderBy: { id: 'asc' }, include: { comments: { orderBy: { id: 'asc' } } } }),
      doc: await prisma.document.findUnique({ where: { id: documentId }, select: { version: true } }),
      ops: await prisma.operation.count({ where: { documentId } }),
    };
  };

  /** Runs `attempt`, expects `code` (status < 500), and checks that nothing changed. */
  async function rejects(documentId: string, code: string, attempt: () => Promise<{ status?: number; errors?: Array<{ extensions?: { code?: string } }> }>) {
    const before = await dbState(documentId);
    const res = await attempt();
    expect(codeOf(res), JSON.stringify(res.errors)).toBe(code);
    if (res.status !== undefined) expect(res.status).toBeLessThan(500);
    expect(await dbState(documentId)).toEqual(before);
  }

  /** A document "Hello world\n" at version 1, shared with everyone but the stranger. */
  async function newDocument(): Promise<string> {
    const id = await createDocument(server, owner.token, { ops: [{ insert: 'Hello world\n' }] });
    for (const [who, role] of [[editor, 'EDITOR'], [commenter, 'COMMENTER'], [viewer, 'VIEWER']] as const) {
      const res = await gql(server, SHARE, { id, e: who.email, r: role }, owner.token);
      expect(res.data?.shareDocument).toEqual({ role });
    }
    return id;
  }

  const open = async (token: string, d: string, v: number, i: number, l: number, b = 'Look at this') => gql<{ openThread: Thread }>(server, OPEN, { d, v, i, l, b }, token);
  const opened = async (token: string, d: string, v: number, i: number, l: number, b?: string) => {
    const res = await open(token, d, v, i, l, b);
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.openThread;
  };
  const edit = async (documentId: string, baseVersion: number, ops: unknown[], seq: number) => {
    const res = await gql(server, SUBMIT, { input: { documentId, baseVersion, delta: { ops }, clientId: 'editor-tab', clientSeq: seq } }, editor.token);
    if (!res.data) throw new Error(JSON.stringify(res.errors));
    return res.data.submitOperation.version as number;
  };
  const threads = async (d: string, token = commenter.token) => ((await gql<{ document: { threads: Thread[] } }>(server, THREADS, { d }, token)).data?.document.threads ?? []);

  beforeAll(async () => {
    server = await startServer(mode);
    const users = await Promise.all(['viewer', 'stranger'].map((n) => signUp(server, n)));
    [viewer, stranger] = users as [User, User];
  });
  // The ones who write comments, create and share: a person's budgets for those
  // (RATE_LIMIT_COMMENT_*, _CREATE_*, _SHARE_*) are for a person, not for a whole suite.
  beforeEach(async () => {
    [owner, editor, commenter] = (await Promise.all(['owner', 'editor', 'commenter'].map((n) => signUp(server, n)))) as [User, User, User];
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('lets COMMENTER and above open, reply, resolve, reopen; a VIEWER gets FORBIDDEN and a stranger NOT_FOUND, changing nothing', async () => {
    const d = await newDocument();
    await rejects(d, 'NOT_FOUND', () => open(stranger.token, d, 1, 0, 5));
    await rejects(d, 'FORBIDDEN', () => open(viewer.token, d, 1, 0, 5));
    await rejects(d, 'UNAUTHENTICATED', () => gql(server, OPEN, { d, v: 1, i: 0, l: 5, b: 'x' }));
    const thread = await opened(commenter.token, d, 1, 0, 5, 'Hi there');
    expect(thread).toMatchObject({ quote: 'Hello', status: 'OPEN', anchor: { version: 1, index: 0, length: 5 }, comments: [{ body: 'Hi there', author: { id: commenter.userId }, editedAt: null }] });

    const t = thread.id;
    const comment = thread.comments[0]!.id;
    for (const [query, vars] of [[REPLY, { t, b: 'reply' }], [RESOLVE, { t }], [REOPEN, { t }], [EDIT, { c: comment, b: 'edited' }], [DELETE, { c: comment }]] as const) {
      await rejects(d, 'NOT_FOUND', () => gql(server, query, vars, stranger.token));
      await rejects(d, 'FORBIDDEN', () => gql(server, query, vars, viewer.token));
    }
    // A stranger cannot tell a thread or comment that exists from one that does not.
    const errorOf = async (query: string, vars: Record<string, unknown>) => (await gql(server, query, vars, stranger.token)).errors;
    expect(await errorOf(REPLY, { t, b: 'x' })).toEqual(await errorOf(REPLY, { t: '00000000-0000-4000-8000-000000000000', b: 'x' }));
    expect(await errorOf(EDIT, { c: comment, b: 'x' })).toEqual(await errorOf(EDIT, { c: '00000000-0000-4000-8000-000000000000', b: 'x' }));
    // Nor can a viewer read them.
    const asViewer = await gql(server, THREADS, { d }, viewer.token);
    expect(codeOf(asViewer)).toBe('FORBIDDEN');
    expect((await gql(server, THREADS, { d }, stranger.token)).data?.document).toBeNull();

    for (const who of [commenter, editor, owner]) {
      const reply = await gql(server, REPLY, { t, b: `from ${who.email}` }, who.token);
      expect(reply.data?.replyToThread).toMatchObject({ body: `from ${who.email}`, author: { id: who.userId } });
    }
    // Mentions: members named with @ (a stranger's name names nobody).
    const mention = await gql(server, 'mutation($t: ID!, $b: String!) { replyToThread(threadId: $t, body: $b) { mentions { id } } }', { t, b: '@Commenter and @editor, not @stranger' }, owner.token);
    expect(mention.data?.replyToThread.mentions).toEqual([{ id: editor.userId }, { id: commenter.userId }]);
    expect((await gql(server, RESOLVE, { t }, commenter.token)).data?.resolveThread.status).toBe('RESOLVED');
    expect(await threads(d)).toHaveLength(1);
    expect((await gql(server, THREADS, { d, s: 'OPEN' }, commenter.token)).data?.document.threads).toEqual([]);
    expect((await gql(server, REOPEN, { t }, editor.token)).data?.reopenThread.status).toBe('OPEN');
    const [listed] = await threads(d, owner.token);
    expect(listed!.comments.map((c) => c.body)).toEqual(['Hi there', `from ${commenter.email}`, `from ${editor.email}`, `from ${owner.email}`, '@Commenter and @editor, not @stranger']);
  });

  it('refuses bad ranges, versions and bodies with BAD_USER_INPUT, and editing someone else’s comment with FORBIDDEN, changing nothing', async () => {
    const d = await newDocument(); // "Hello world\n": 12 characters at version 1
    for (const [v, i, l] of [[1, 0, 13], [1, 12, 1], [1, 5, 0], [1, -1, 2], [1, 0, -3], [2, 0, 1], [-1, 0, 1], [0, 0, 1]]) {
      await rejects(d, 'BAD_USER_INPUT', () => open(commenter.token, d, v!, i!, l!));
    }
    for (const body of ['', '   \n', 'x'.repeat(10_001), 'bad \ud800 surrogate', 'nul \u0000']) {
      await rejects(d, 'BAD_USER_INPUT', () => open(commenter.token, d, 1, 0, 1, body));
    }
    // Half a character (Quill counts UTF-16 code units) is no range.
    const emoji = await createDocument(server, owner.token, { ops: [{ insert: 'a😀b\n' }] });
    await share(server, owner.token, emoji, commenter.email, 'COMMENTER');
    for (const [i, l] of [[1, 1], [2, 1], [0, 2], [2, 2]]) await rejects(emoji, 'BAD_USER_INPUT', () => open(commenter.token, emoji, 1, i!, l!));
    expect((await opened(commenter.token, emoji, 1, 1, 2)).quote).toBe('😀');
    // The whole text, up to the last newline, is a valid range; 10,000 characters a valid body.
    const whole = await opened(commenter.token, d, 1, 0, 12, 'y'.repeat(10_000));
    expect(whole.quote).toBe('Hello world\n');
    const mine = whole.comments[0]!.id;
    for (const body of ['', 'z'.repeat(10_001)]) await rejects(d, 'BAD_USER_INPUT', () => gql(server, EDIT, { c: mine, b: body }, commenter.token));
    await rejects(d, 'BAD_USER_INPUT', () => gql(server, REPLY, { t: whole.id, b: ' ' }, editor.token));
    // Not even an OWNER edits someone else's words; an editor may not delete them either.
    await rejects(d, 'FORBIDDEN', () => gql(server, EDIT, { c: mine, b: 'owner says' }, owner.token));
    await rejects(d, 'FORBIDDEN', () => gql(server, EDIT, { c: mine, b: 'editor says' }, editor.token));
    await rejects(d, 'FORBIDDEN', () => gql(server, DELETE, { c: mine }, editor.token));
    for (const bad of ['no-such-id', 'x'.repeat(500)]) {
      await rejects(d, 'NOT_FOUND', () => gql(server, REPLY, { t: bad, b: 'hi' }, commenter.token));
      await rejects(d, 'NOT_FOUND', () => gql(server, EDIT, { c: bad, b: 'hi' }, commenter.token));
    }
    // Text PostgreSQL would refuse never reaches it (the request guard, http/clean-input.ts).
    await rejects(d, 'BAD_USER_INPUT', () => gql(server, REPLY, { t: 'nul\u0000id', b: 'hi' }, commenter.token));
    const edited = await gql(server, EDIT, { c: mine, b: 'shorter' }, commenter.token);
    expect(edited.data?.editComment).toMatchObject({ id: mine, body: 'shorter' });
    expect(edited.data?.editComment.editedAt).not.toBeNull();
  });

  it('moves the anchor with the text: inserts at its edges do not extend it, inserts inside do, and deleting its text detaches it with its quote kept', async () => {
    const d = await newDocument(); // "Hello world\n"
    const t = await opened(commenter.token, d, 1, 6, 5); // "world"
    expect(t.quote).toBe('world');
    let v = await edit(d, 1, [{ retain: 6 }, { insert: 'big ' }], 0); // at the start edge: "Hello big world\n"
    v = await edit(d, v, [{ retain: 15 }, { insert: '!' }], 1); // at the end edge: "Hello big world!\n"
    expect((await threads(d)).find((x) => x.id === t.id)?.anchor).toEqual({ version: v, index: 10, length: 5 });
    v = await edit(d, v, [{ retain: 12 }, { insert: 'XY' }], 2); // inside: "Hello big woXYrld!\n"
    expect((await threads(d))[0]?.anchor).toEqual({ version: v, index: 10, length: 7 });

    // Opened at an old version, placed at the head: "Hello" at version 1 is still at 0.
    const old = await opened(commenter.token, d, 1, 0, 5);
    expect(old.anchor).toEqual({ version: v, index: 0, length: 5 });
    // A range at version 1 that a later insert split: "lo wo" grows by "big ".
    const split = await opened(commenter.token, d, 1, 3, 5);
    expect(split.anchor).toEqual({ version: v, index: 3, length: 9 });

    // Delete "big woXYrld" (and more): the "world" thread detaches, the others shrink.
    v = await edit(d, v, [{ retain: 6 }, { delete: 11 }], 3); // "Hello !\n"
    const after = await threads(d);
    const world = after.find((x) => x.id === t.id)!;
    expect(world).toMatchObject({ anchor: null, quote: 'world', status: 'OPEN' });
    expect(after.find((x) => x.id === split.id)?.anchor).toEqual({ version: v, index: 3, length: 3 });
    // Typing again where it was does not bring it back.
    v = await edit(d, v, [{ retain: 6 }, { insert: 'world' }], 4);
    expect((await threads(d)).find((x) => x.id === t.id)?.anchor).toBeNull();
    // And the content agrees: the "split" anchor covers "lo " of "Hello world!\n".
    const content = (await gql(server, 'query($d: ID!) { document(id: $d) { content } }', { d }, owner.token)).data?.document.content;
    const text = content.ops.map((o: { insert: string }) => o.insert).join('');
    const s = (await threads(d)).find((x) => x.id === split.id)!.anchor!;
    expect(text.slice(s.index, s.index + s.length)).toBe('lo ');
  });

  it('writes a moved anchor back, so the next read starts from the head it was moved to', async () => {
    const d = await newDocument();
    const t = await opened(commenter.token, d, 1, 6, 5);
    let v = 1;
    for (let i = 0; i < 3; i++) v = await edit(d, v, [{ insert: 'ab' }], 10 + i);
    const { prisma } = server.services.db;
    expect(await prisma.commentThread.findUnique({ where: { id: t.id } })).toMatchObject({ anchorVersion: 1, anchorIndex: 6, anchorLength: 5 });
    // A service that writes back after 2 ops: what the node's does after its setting (100).
    const eager = new Comments(prisma, server.services.sequencer, server.services.documents, server.services.threadsBus, { writeBackAfter: 2 });
    const [placed] = await eager.list({ userId: commenter.userId, sessionId: 'test' }, d, null);
    expect(placed?.anchor).toEqual({ version: v, index: 12, length: 5 });
    // Stored after the answer, not before it.
    await eager.settled();
    expect(await prisma.commentThread.findUnique({ where: { id: t.id } })).toMatchObject({ anchorVersion: v, anchorIndex: 12, anchorLength: 5 });
    expect((await threads(d))[0]?.anchor).toEqual({ version: v, index: 12, length: 5 });
  });

  it('writes back every anchor a read moved far enough in one go, detached ones too, and leaves the others where they were stored', async () => {
    const d = await newDocument(); // "Hello world\n"
    const hello = await opened(commenter.token, d, 1, 0, 5);
    const world = await opened(commenter.token, d, 1, 6, 5);
    let v = await edit(d, 1, [{ insert: 'ab' }], 30); // "abHello world\n"
    const later = await opened(commenter.token, d, v, 2, 5);
    v = await edit(d, v, [{ retain: 8 }, { delete: 5 }], 31); // "abHello \n": "world" detached
    const recent = await opened(commenter.token, d, v, 0, 2); // "ab", one op behind the head below
    v = await edit(d, v, [{ insert: 'Z' }], 32); // "ZabHello \n"
    const { prisma } = server.services.db;
    const eager = new Comments(prisma, server.services.sequencer, server.services.documents, server.services.threadsBus, { writeBackAfter: 2 });
    const placed = await eager.list({ userId: commenter.userId, sessionId: 'test' }, d, null);
    await eager.settled();
    expect(placed.map((t) => [t.id, t.anchor])).toEqual([
      [hello.id, { version: v, index: 3, length: 5 }],
      [world.id, null],
      [later.id, { version: v, index: 3, length: 5 }],
      [recent.id, { version: v, index: 1, length: 2 }],
    ]);
    const rows = await prisma.commentThread.findMany({ where: { documentId: d }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], select: { id: true, anchorVersion: true, anchorIndex: true, anchorLength: true } });
    expect(rows).toEqual([
      { id: hello.id, anchorVersion: v, anchorIndex: 3, anchorLength: 5 },
      { id: world.id, anchorVersion: v, anchorIndex: null, anchorLength: null },
      { id: later.id, anchorVersion: v, anchorIndex: 3, anchorLength: 5 },
      // Moved over one op only: stored where it was opened, moved again on every read.
      { id: recent.id, anchorVersion: v - 1, anchorIndex: 0, anchorLength: 2 },
    ]);
    // Read from the written rows, the node's own reads agree.
    expect((await threads(d)).map((t) => t.anchor)).toEqual(placed.map((t) => t.anchor));
  });

  it('never lets a placement stored late undo a newer one: the write a read left behind is guarded by the version it placed at', async () => {
    const d = await newDocument(); // "Hello world\n"
    const t = await opened(commenter.token, d, 1, 6, 5); // "world"
    let v = 1;
    for (let i = 0; i < 2; i++) v = await edit(d, v, [{ insert: 'ab' }], 40 + i);
    const { prisma, sequencer, documents, threadsBus } = { ...server.services, prisma: server.services.db.prisma };
    const me = { userId: commenter.userId, sessionId: 'test' };
    // A reader whose write waits until told (as if its node were slow to get to it).
    const held: Array<() => Promise<void>> = [];
    const slow = new Comments(prisma, sequencer, documents, threadsBus, { writeBackAfter: 2, writeBehind: { schedule: (_key, _version, write) => void held.push(write), idle: async () => {} } });
    expect((await slow.list(me, d, null))[0]?.anchor).toEqual({ version: v, index: 10, length: 5 });
    // Meanwhile the text moves on, and another reader stores a newer placement.
    for (let i = 0; i < 2; i++) v = await edit(d, v, [{ insert: 'ab' }], 42 + i);
    const eager = new Comments(prisma, sequencer, documents, threadsBus, { writeBackAfter: 2 });
    expect((await eager.list(me, d, null))[0]?.anchor).toEqual({ version: v, index: 14, length: 5 });
    await eager.settled();
    expect(await prisma.commentThread.findUnique({ where: { id: t.id } })).toMatchObject({ anchorVersion: v, anchorIndex: 14 });
    // The slow reader's write, at the older version, now runs: it changes nothing.
    expect(held).toHaveLength(1);
    await held[0]!();
    expect(await prisma.commentThread.findUnique({ where: { id: t.id } })).toMatchObject({ anchorVersion: v, anchorIndex: 14, anchorLength: 5 });
    expect((await threads(d))[0]?.anchor).toEqual({ version: v, index: 14, length: 5 });
  });

  it('stores anchors a read moved far only at a quiet moment of the node: not while a request is being served, and then unasked', async () => {
    const d = await newDocument(); // "Hello world\n"
    const t = await opened(commenter.token, d, 1, 6, 5); // "world"
    let v = 1;
    // The node stores a placement moved over 100 ops or more.
    for (let i = 0; i < 100; i++) v = await edit(d, v, [{ insert: 'a' }], 1_000 + i);
    const { prisma } = server.services.db;
    const stored = async () => prisma.commentThread.findUnique({ where: { id: t.id }, select: { anchorVersion: true, anchorIndex: true, anchorLength: true } });
    const { activity } = server.services;
    const serving = activity.inProgress;
    // A request the node is still serving: its body has not all arrived.
    const slow = slowRequest(server.url, JSON.stringify({ query: '{ __typename }' }));
    try {
      await waitFor(async () => {
        while (activity.inProgress === serving) await new Promise<void>((resolve) => setImmediate(resolve));
      }, { what: 'the node to start serving the slow request' });
      expect((await threads(d))[0]?.anchor).toEqual({ version: v, index: 106, length: 5 });
      // Requests come and go meanwhile (and one is still being served): the placement waits.
      expect((await threads(d))[0]?.anchor).toEqual({ version: v, index: 106, length: 5 });
      expect(await stored()).toEqual({ anchorVersion: 1, anchorIndex: 6, anchorLength: 5 });
    } finally {
      expect(await slow.finish()).toBe(200);
    }
    // Quiet now: stored without anyone asking.
    await waitFor(async () => {
      while ((await stored())?.anchorVersion !== v) await new Promise<void>((resolve) => setTimeout(resolve, 10));
    }, { what: 'the moved anchor to be stored', state: stored });
    expect(await stored()).toEqual({ anchorVersion: v, anchorIndex: 106, anchorLength: 5 });
    expect((await threads(d))[0]?.anchor).toEqual({ version: v, index: 106, length: 5 });
  });

  it('places anchors as a reader that keeps nothing would, read after read, whatever the edits (property)', async () => {
    const d = await newDocument();
    let v = 1;
    let doc = new Delta().insert('Hello world\n');
    const rand = prng(17);
    const { prisma, sequencer, documents, threadsBus } = { ...server.services, prisma: server.services.db.prisma };
    const me = { userId: commenter.userId, sessionId: 'test' };
    for (let step = 0; step < 80; step++) {
      const length = doc.length();
      if (rand() < 0.25 && length > 1) {
        const index = Math.floor(rand() * (length - 1));
        await opened(commenter.token, d, v, index, 1 + Math.floor(rand() * Math.min(4, length - index - 1)));
      } else {
        const change = randomEdit(doc, rand);
        v = await edit(d, v, change.ops, 2_000 + step);
        doc = doc.compose(change);
      }
      // Every other step a read through the node, which moves anchors on from where its last read placed them…
      if (step % 2 === 0) continue;
      const placed = await threads(d);
      // …against a reader that starts from the rows as stored.
      const fresh = await new Comments(prisma, sequencer, documents, threadsBus).list(me, d, null);
      expect(placed.map((t) => [t.id, t.anchor])).toEqual(fresh.map((t) => [t.id, t.anchor]));
    }
  });

  it('keeps a thread while it has comments: its author or an OWNER deletes a comment, the last one takes the thread, and the stream says so', async () => {
    const d = await newDocument();
    const client = wsClient(server, commenter.token);
    const stream = subscribe<{ documentThreads: Thread }>(client, WATCH, { d });
    try {
      const base = await untilLive(stream, () => opened(commenter.token, d, 1, 0, 1, 'probe'));
      const t = await opened(editor.token, d, 1, 0, 5, 'first');
      const reply = (await gql(server, REPLY, { t: t.id, b: 'second' }, commenter.token)).data?.replyToThread;
      await rejects(d, 'FORBIDDEN', () => gql(server, DELETE, { c: t.comments[0]!.id }, commenter.token));
      // The editor deletes its own first comment: the thread stays, with the reply, quote and anchor.
      expect((await gql(server, DELETE, { c: t.comments[0]!.id }, editor.token)).data?.deleteComment).toBe(true);
      const [left] = (await threads(d)).filter((x) => x.id === t.id);
      expect(left).toMatchObject({ quote: 'Hello', anchor: { index: 0, length: 5 }, comments: [{ id: reply.id, body: 'second' }] });
      // An owner deletes anyone's: the last comment goes, and the thread with it.
      expect((await gql(server, DELETE, { c: reply.id }, owner.token)).data?.deleteComment).toBe(true);
      expect((await threads(d)).some((x) => x.id === t.id)).toBe(false);
      expect(await server.services.db.prisma.comment.count({ where: { threadId: t.id } })).toBe(0);
      await rejects(d, 'NOT_FOUND', () => gql(server, DELETE, { c: reply.id }, owner.token));

      const events = (await stream.take(base + 4)).slice(base).map((r) => r.data?.documentThreads);
      expect(events.map((e) => [e?.id, e?.comments.map((c) => c.body)])).toEqual([
        [t.id, ['first']],
        [t.id, ['first', 'second']],
        [t.id, ['second']],
        [t.id, []],
      ]);
    } finally {
      stream.dispose();
      await client.dispose();
    }
  });

  it('settles deletes, replies, edits and resolves racing for a thread\'s last comments: typed answers, and no thread left without comments', async () => {
    const d = await newDocument();
    // Two pairs take turns: each person's three comment writes a round stay inside one person's budget.
    const [commenter2, editor2] = (await Promise.all(['commenter', 'editor'].map((n) => signUp(server, n)))) as [User, User];
    for (const [who, role] of [[commenter2, 'COMMENTER'], [editor2, 'EDITOR']] as const) expect((await gql(server, SHARE, { id: d, e: who.email, r: role }, owner.token)).data?.shareDocument).toEqual({ role });
    const answers: Array<{ status: number; errors?: Array<{ extensions?: { code?: string } }> }> = [];
    for (let i = 0; i < 15; i++) {
      const [author, other] = i % 2 === 0 ? [commenter, editor] : [commenter2, editor2];
      const t = await opened(author.token, d, 1, 0, 5, `race ${i}`);
      const c = t.comments[0]!.id;
      // A second comment, deleted at the same moment by its author: together they are the last two.
      const second = (await gql(server, REPLY, { t: t.id, b: 'second' }, other.token)).data?.replyToThread.id;
      answers.push(
        ...(await Promise.all([
          gql(server, DELETE, { c }, author.token),
          gql(server, DELETE, { c: second }, other.token),
          gql(server, REPLY, { t: t.id, b: 'late reply' }, other.token),
          gql(server, EDIT, { c, b: 'late edit' }, author.token),
          gql(server, RESOLVE, { t: t.id }, owner.token),
        ])),
      );
    }
    for (const a of answers) {
      expect(a.status).toBeLessThan(500);
      for (const e of a.errors ?? []) expect(e.extensions?.code, JSON.stringify(a.errors)).toBe('NOT_FOUND');
    }
    const { threads } = await dbState(d);
    // A thread left standing has its late reply; none is left without comments.
    for (const t of threads) expect(t.comments.length).toBeGreaterThan(0);
    expect(await server.services.db.prisma.comment.count({ where: { thread: { documentId: d } } })).toBe(threads.reduce((n, t) => n + t.comments.length, 0));
  });

  it('answers NOT_FOUND to a reply whose thread is deleted between its read and its write, and stores nothing', async () => {
    const d = await newDocument();
    const t = await opened(commenter.token, d, 1, 0, 5, 'doomed');
    const { prisma, sql } = server.services.db;
    // A service whose insert runs just after someone deleted the thread (with its last comment).
    const comment = new Proxy(prisma.comment, {
      get: (target, key) =>
        key === 'create'
          ? async (args: Parameters<typeof prisma.comment.create>[0]) => {
              await prisma.commentThread.delete({ where: { id: t.id } });
              return target.create(args);
            }
          : Reflect.get(target, key),
    });
    const racing = new Proxy(prisma, { get: (target, key) => (key === 'comment' ? comment : Reflect.get(target, key)) });
    const comments = new Comments(racing, server.services.sequencer, server.services.documents, server.services.threadsBus);
    const events = async () => (await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "DocumentEvent" WHERE "documentId" = $1 AND "kind" = 'COMMENTED'`, [d]))[0]!.n;
    const before = await events();
    await expect(comments.reply({ userId: editor.userId, sessionId: 'test' }, t.id, 'too late')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    expect(await prisma.comment.count({ where: { threadId: t.id } })).toBe(0);
    expect(await events()).toBe(before);
  });

  // PostgreSQL only: PGlite runs one statement at a time, so there the two cannot interleave.
  if (mode === 'scaled') {
    it('deletes a thread whose last two comments are deleted at the same moment: the thread row orders the two', async () => {
      const d = await newDocument();
      const t = await opened(commenter.token, d, 1, 0, 5, 'one');
      const two = (await gql(server, REPLY, { t: t.id, b: 'two' }, editor.token)).data?.replyToThread.id as string;
      const { sql, prisma } = server.services.db;
      let deleting: Promise<unknown> = Promise.resolve();
      await sql.withConnection((conn) =>
        conn.transaction(async (tx) => {
          // Another deleteComment, of "two", caught between its delete and its commit.
          await tx.query('SELECT 1 FROM "CommentThread" WHERE "id" = $1 FOR UPDATE', [t.id]);
          await tx.query('DELETE FROM "Comment" WHERE "id" = $1', [two]);
          deleting = gql(server, DELETE, { c: t.comments[0]!.id }, commenter.token);
          // Until the request waits for our lock (or, if it takes none, has finished).
          let settled = false;
          void deleting.finally(() => (settled = true));
          while (!settled) {
            const [row] = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`);
            if (row!.n > 0) break;
          }
        }),
      );
      expect(await deleting).toMatchObject({ data: { deleteComment: true } });
      expect(await prisma.commentThread.findUnique({ where: { id: t.id } })).toBeNull();
      expect(await prisma.comment.count({ where: { threadId: t.id } })).toBe(0);
    });
  }

  it('refuses documentThreads to a stranger (NOT_FOUND) and a VIEWER (FORBIDDEN), and ends it with FORBIDDEN when a COMMENTER is demoted to VIEWER', async () => {
    const d = await newDocument();
    for (const [who, code] of [[stranger, 'NOT_FOUND'], [viewer, 'FORBIDDEN']] as const) {
      const client = wsClient(server, who.token);
      expect(await subscribe(client, WATCH, { d }).refusal()).toBe(code);
      await client.dispose();
    }
    const demoted = await signUp(server, 'demoted');
    expect((await gql(server, SHARE, { id: d, e: demoted.email, r: 'COMMENTER' }, owner.token)).data?.shareDocument.role).toBe('COMMENTER');
    const client = wsClient(server, demoted.token);
    const stream = subscribe<{ documentThreads: Thread }>(client, WATCH, { d });
    try {
      // Live: its own threads come back on the stream.
      await untilLive(stream, () => opened(demoted.token, d, 1, 0, 1));
      expect(stream.results[0]?.data?.documentThreads.quote).toBe('H');
      expect((await gql(server, SHARE, { id: d, e: demoted.email, r: 'VIEWER' }, owner.token)).data?.shareDocument.role).toBe('VIEWER');
      await stream.ended();
      expect(stream.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
      await rejects(d, 'FORBIDDEN', () => open(demoted.token, d, 1, 0, 1));
    } finally {
      stream.dispose();
      await client.dispose();
    }
  });

  it('lets a COMMENTER not write the text, over HTTP and the socket, nor through the log itself; a demoted EDITOR stops writing at once', async () => {
    const d = await newDocument();
    const input = (clientSeq: number) => ({ input: { documentId: d, baseVersion: 1, delta: { ops: [{ insert: 'x' }] }, clientId: 'c', clientSeq } });
    await rejects(d, 'FORBIDDEN', () => gql(server, SUBMIT, input(0), commenter.token));
    await rejects(d, 'FORBIDDEN', () => gql(server, 'mutation($d: ID!) { restoreVersion(documentId: $d, version: 0) { version } }', { d }, commenter.token));
    const client = wsClient(server, commenter.token);
    try {
      await rejects(d, 'FORBIDDEN', async () => {
        const [result] = await subscribe(client, SUBMIT, input(1)).take(1);
        return result!;
      });
    } finally {
      await client.dispose();
    }
    // collab_append's own check (prisma/migrations/20261125000000_*) lets only OWNER and EDITOR write.
    const before = await dbState(d);
    const refused = await server.services.log
      .append(d, [{ documentId: d, version: 2, delta: new Delta().insert('x'), clientId: 'direct', clientSeq: 0, authorId: commenter.userId }])
      .then(() => null, (error: unknown) => error);
    expect(refused).toBeInstanceOf(AppendConflict);
    expect((refused as AppendConflict).kind).toBe('access');
    expect(await dbState(d)).toEqual(before);

    // An editor demoted to COMMENTER: the next op is refused, a comment is fine.
    const demoted = await signUp(server, 'demoted-editor');
    await share(server, owner.token, d, demoted.email, 'EDITOR');
    const ok = await gql(server, SUBMIT, input(2), demoted.token);
    expect(ok.data?.submitOperation.version).toBe(2);
    await share(server, owner.token, d, demoted.email, 'COMMENTER');
    await rejects(d, 'FORBIDDEN', () => gql(server, SUBMIT, { input: { ...input(3).input, baseVersion: 2 } }, demoted.token));
    expect((await open(demoted.token, d, 2, 0, 1)).data?.openThread.quote).toBe('x');
  });
});

describe('comment threads within the response budget', () => {
  let server: TestServer;
  afterAll(async () => {
    await server?.stop();
  });

  it('counts bodies and quotes against MAX_RESPONSE_BYTES: the threads that would pass it fail with BAD_USER_INPUT', async () => {
    server = await startServer('embedded', { MAX_DOCUMENT_BYTES: '1024', MAX_RESPONSE_BYTES: '25000' });
    const alice = await signUp(server, 'alice');
    const d = await createDocument(server, alice.token, { ops: [{ insert: 'Hello\n' }] });
    const t = (await gql(server, OPEN, { d, v: 1, i: 0, l: 5, b: 'a'.repeat(10_000) }, alice.token)).data?.openThread;
    expect((await gql(server, THREADS, { d }, alice.token)).data?.document.threads).toHaveLength(1);
    for (let i = 0; i < 2; i++) expect((await gql(server, REPLY, { t: t.id, b: 'b'.repeat(10_000) }, alice.token)).data?.replyToThread.id).toBeDefined();
    const res = await gql(server, THREADS, { d }, alice.token);
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions).toMatchObject({ limit: 'responseBytes', max: 25_000 });
  });
});

describe('comment writes are rate limited per user', () => {
  let server: TestServer;
  afterAll(async () => {
    await server?.stop();
  });

  it('answers RATE_LIMITED beyond the budget, and the refused write changes nothing', async () => {
    server = await startServer('embedded', { RATE_LIMIT_COMMENT_PER_USER_RATE: '1', RATE_LIMIT_COMMENT_PER_USER_BURST: '0' });
    const alice = await signUp(server, 'alice');
    const d = await createDocument(server, alice.token, { ops: [{ insert: 'Hello\n' }] });
    const results = [];
    // One point a second and no reserve: of five writes in a row, at most one per second passes.
    for (let i = 0; i < 5; i++) results.push(await gql(server, OPEN, { d, v: 1, i: 0, l: 1, b: `n${i}` }, alice.token));
    const limited = results.filter((r) => codeOf(r) === 'RATE_LIMITED');
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]?.errors?.[0]?.extensions).toMatchObject({ limit: 'commentPerUser' });
    expect(await server.services.db.prisma.comment.count()).toBe(results.length - limited.length);
  });
});

describe.runIf(hasScaled())('comment threads across nodes', () => {
  const group = suiteNodeGroup();

  it('streams every change of a thread made on one node to a watcher on the other, until a demotion there ends it', async () => {
    const a = await group.start();
    const b = await group.start();
    const alice = await signUp(a, 'alice');
    const bob = await signUp(a, 'bob');
    const d = await createDocument(a, alice.token, { ops: [{ insert: 'Hello world\n' }] });
    await share(a, alice.token, d, bob.email, 'COMMENTER');
    const client = wsClient(b, bob.token);
    const stream = subscribe<{ documentThreads: Thread }>(client, WATCH, { d });
    try {
      // Live on node b once threads opened on node a after subscribing arrive there.
      const openOnA = async () => (await gql<{ openThread: Thread }>(a, OPEN, { d, v: 1, i: 6, l: 5, b: 'first' }, alice.token)).data!.openThread;
      let base = await untilLive(stream, openOnA);
      const t = await openOnA();
      base++;
      await stream.take(base);
      const reply = (await gql(a, REPLY, { t: t.id, b: 'second' }, alice.token)).data?.replyToThread;
      await gql(a, EDIT, { c: reply.id, b: 'second, edited' }, alice.token);
      await gql(a, RESOLVE, { t: t.id }, alice.token);
      await gql(a, REOPEN, { t: t.id }, alice.token);
      await gql(a, DELETE, { c: t.comments[0]!.id }, alice.token);
      const events = (await stream.take(base + 5)).slice(base).map((r) => r.data?.documentThreads);
      expect(events.map((e) => [e?.status, e?.comments.map((c) => c.body)])).toEqual([
        ['OPEN', ['first', 'second']],
        ['OPEN', ['first', 'second, edited']],
        ['RESOLVED', ['first', 'second, edited']],
        ['OPEN', ['first', 'second, edited']],
        ['OPEN', ['second, edited']],
      ]);
      expect(events.every((e) => e?.id === t.id && e.anchor?.index === 6 && e.quote === 'world')).toBe(true);
      // A demotion on node a ends the stream on node b.
      expect((await gql(a, SHARE, { id: d, e: bob.email, r: 'VIEWER' }, alice.token)).data?.shareDocument.role).toBe('VIEWER');
      await stream.ended();
      expect(stream.results.at(-1)?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    } finally {
      stream.dispose();
      await client.dispose();
    }
  });
});
