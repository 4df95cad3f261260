// Hostile variables for every mutation, over real HTTP (fast-check): random
// JSON, strings with lone surrogates and NUL, huge and tiny sizes. Whatever
// arrives, the node answers below 500, a rejection carries a typed code, and
// the document under attack still loads, takes an edit and snapshots (every
// commit snapshots here, stored right after it: a bad value in the content
// would leave that version without its snapshot).
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { availableModes, createDocument, gql, signUp, startServer, SUBMIT, type TestServer } from '../harness.ts';

const CODES = ['UNAUTHENTICATED', 'FORBIDDEN', 'NOT_FOUND', 'BAD_USER_INPUT', 'CONFLICT_RETRY_EXHAUSTED', 'RATE_LIMITED', 'UNAVAILABLE', 'CONFLICT'];

/** Pieces that break naive text handling: both halves of a pair alone, NUL, astral characters, controls. */
const FRAGMENTS = ['\uD83D', '\uDE00', '😀', '\u0000', 'a', ' ', '\n', '\uFFFF', '\u202E', 'é', '<script>', '"', '\\', '%00', 'javascript:alert(1)'];

const hostileString = fc.oneof(
  { weight: 4, arbitrary: fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 12 }).map((parts) => parts.join('')) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30, unit: 'binary' }) },
  { weight: 1, arbitrary: fc.constantFrom('', ' ', 'x'.repeat(201), 'x'.repeat(300_000), '😀'.repeat(60_000), '\u0000'.repeat(1000)) },
);

/** Values of the wrong type for any variable. */
const wrongType = fc.oneof(fc.constantFrom(null, -1, 2 ** 31, 1.5, true, [], {}, ['x']), fc.jsonValue({ maxDepth: 2 }));

const anyInt = fc.oneof(fc.integer({ min: -3, max: 12 }), fc.constantFrom(-(2 ** 31), 2 ** 31 - 1));

const embedValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  fc.constantFrom('x'.repeat(400_000), 'javascript:alert(1)'),
  fc.integer().map((depth) => {
    // A nested embed value, built without recursion; deep enough to matter,
    // shallow enough for this client's own JSON.stringify (content-validation
    // sends 100,000 levels as a raw body).
    let value: unknown = 'leaf';
    for (let i = 0; i < (Math.abs(depth) % 1_500) + 1; i++) value = { a: value };
    return value;
  }),
  fc.jsonValue({ maxDepth: 3 }),
);

const op = fc.oneof(
  fc.record({ insert: hostileString }),
  fc.record({ insert: hostileString, attributes: fc.dictionary(hostileString, fc.oneof(hostileString, wrongType), { maxKeys: 3 }) }),
  fc.record({ insert: fc.dictionary(fc.constantFrom('image', 'video', 'formula', 'mention', 'x'), embedValue, { minKeys: 1, maxKeys: 1 }) }),
  fc.record({ retain: anyInt }),
  fc.record({ retain: fc.integer({ min: 1, max: 8 }), attributes: fc.dictionary(fc.constantFrom('bold', 'link', 'header', 'color', 'onclick', hostileString as never), fc.oneof(hostileString, wrongType), { maxKeys: 2 }) }),
  fc.record({ delete: anyInt }),
  wrongType,
);

const delta = fc.oneof({ weight: 5, arbitrary: fc.record({ ops: fc.array(op, { maxLength: 5 }) }) }, { weight: 1, arbitrary: wrongType });

interface Target {
  docId: string;
  owner: { token: string; userId: string; email: string };
  other: { token: string; userId: string; email: string };
  head: () => Promise<number>;
  /** A comment thread on the document and its first comment. */
  threadId: string;
  commentId: string;
  suggestionId: string;
}

/** Each mutation with its variable declarations and a generator of hostile variables. */
function mutations(t: Target) {
  const id = fc.oneof({ weight: 4, arbitrary: fc.constant(t.docId) }, { weight: 1, arbitrary: hostileString });
  // The owner stays the only owner (and keeps editing): the checks below edit as the owner.
  const email = fc.oneof(hostileString, fc.constantFrom(t.other.email, 'nobody@example.com', t.other.email.toUpperCase()));
  const role = fc.constantFrom('EDITOR', 'COMMENTER', 'VIEWER');
  const threadId = fc.oneof({ weight: 3, arbitrary: fc.constant(t.threadId) }, { weight: 1, arbitrary: hostileString });
  // Mostly a reply's id: deleting the first comment (the owner's) is a legitimate success, and later runs would lose their target.
  const commentId = fc.oneof({ weight: 3, arbitrary: fc.constant(t.commentId) }, { weight: 1, arbitrary: hostileString });
  const suggestionId = fc.oneof({ weight: 3, arbitrary: fc.constant(t.suggestionId) }, { weight: 1, arbitrary: hostileString });
  const body = fc.oneof(hostileString, fc.constantFrom('fine', 'x'.repeat(10_000), 'x'.repeat(10_001)));
  return [
    { query: 'mutation($email: String!, $password: String!, $name: String!) { signUp(email: $email, password: $password, name: $name) { user { id } } }', vars: fc.record({ email: hostileString, password: hostileString, name: hostileString }) },
    { query: 'mutation($email: String!, $password: String!) { logIn(email: $email, password: $password) { user { id } } }', vars: fc.record({ email, password: hostileString }) },
    { query: 'mutation($title: String!, $content: Delta) { createDocument(title: $title, content: $content) { id } }', vars: fc.record({ title: hostileString, content: fc.oneof(fc.constant(null), delta) }) },
    { query: 'mutation($id: ID!, $title: String!) { renameDocument(id: $id, title: $title) { title } }', vars: fc.record({ id, title: hostileString }) },
    // Never the document under test: deleting it is a legitimate success.
    { query: 'mutation($id: ID!) { deleteDocument(id: $id) }', vars: fc.record({ id: hostileString }) },
    { query: 'mutation($id: ID!, $email: String!, $role: Role!) { shareDocument(id: $id, email: $email, role: $role) { role } }', vars: fc.record({ id, email, role }) },
    { query: 'mutation($documentId: ID!, $userId: ID!) { removeMember(documentId: $documentId, userId: $userId) }', vars: fc.record({ documentId: id, userId: fc.oneof(hostileString, fc.constantFrom(t.owner.userId, t.other.userId)) }) },
    {
      query: SUBMIT,
      vars: fc.record({
        input: fc.record({ documentId: id, baseVersion: anyInt, delta, clientId: fc.oneof(hostileString, fc.constant('fuzz')), clientSeq: anyInt }),
      }),
    },
    {
      query: 'mutation($documentId: ID!, $version: Int!, $index: Int!, $length: Int!, $clientId: String) { updatePresence(documentId: $documentId, version: $version, index: $index, length: $length, clientId: $clientId) }',
      vars: fc.record({ documentId: id, version: anyInt, index: anyInt, length: anyInt, clientId: fc.oneof(fc.constant(null), hostileString) }),
    },
    { query: 'mutation($documentId: ID!, $version: Int!) { restoreVersion(documentId: $documentId, version: $version) { version } }', vars: fc.record({ documentId: id, version: anyInt }) },
    {
      query: 'mutation($documentId: ID!, $version: Int!, $index: Int!, $length: Int!, $body: String!) { openThread(documentId: $documentId, version: $version, index: $index, length: $length, body: $body) { id anchor { index } } }',
      vars: fc.record({ documentId: id, version: anyInt, index: anyInt, length: anyInt, body }),
    },
    { query: 'mutation($threadId: ID!, $body: String!) { replyToThread(threadId: $threadId, body: $body) { id } }', vars: fc.record({ threadId, body }) },
    { query: 'mutation($threadId: ID!) { resolveThread(threadId: $threadId) { status } }', vars: fc.record({ threadId }) },
    { query: 'mutation($threadId: ID!) { reopenThread(threadId: $threadId) { status } }', vars: fc.record({ threadId }) },
    { query: 'mutation($commentId: ID!, $body: String!) { editComment(commentId: $commentId, body: $body) { id } }', vars: fc.record({ commentId, body }) },
    { query: 'mutation($commentId: ID!) { deleteComment(commentId: $commentId) }', vars: fc.record({ commentId: hostileString }) },
    {
      query: 'mutation($input: SuggestInput!) { suggest(input: $input) { id status version delta } }',
      vars: fc.record({ input: fc.record({ documentId: id, baseVersion: anyInt, delta, clientId: fc.oneof(hostileString, fc.constant('fuzz')), clientSeq: anyInt }) }),
    },
    { query: 'mutation($suggestionId: ID!) { acceptSuggestion(suggestionId: $suggestionId) { version } }', vars: fc.record({ suggestionId }) },
    { query: 'mutation($suggestionId: ID!) { rejectSuggestion(suggestionId: $suggestionId) { status } }', vars: fc.record({ suggestionId }) },
    {
      query: 'mutation($url: String!, $events: [DocumentEventKind!]!) { createWebhook(url: $url, events: $events) { id } }',
      vars: fc.record({ url: fc.oneof(hostileString, fc.constantFrom('http://127.0.0.1:1/', 'http://169.254.169.254/', 'https://u:p@x.invalid/', 'http://[::1]/')), events: fc.subarray(['CREATED', 'CHANGED', 'DELETED']) }),
    },
    { query: 'mutation($id: ID!) { deleteWebhook(id: $id) }', vars: fc.record({ id: hostileString }) },
  ];
}

describe.each(availableModes())('every mutation under hostile variables (%s)', (mode) => {
  let server: TestServer;
  let target: Target;
  let seq = 0;

  beforeAll(async () => {
    // Every commit writes a snapshot, so "it still edits" also means "it still snapshots".
    server = await startServer(mode, { SNAPSHOT_EVERY: '1' });
    const owner = await signUp(server, 'owner');
    const other = await signUp(server, 'other');
    const docId = await createDocument(server, owner.token, { ops: [{ insert: 'Hello 😀 world\n' }] });
    const head = async () => (await gql(server, 'query($id: ID!) { document(id: $id) { version } }', { id: docId }, owner.token)).data!.document.version as number;
    const opened = await gql(server, 'mutation($d: ID!) { openThread(documentId: $d, version: 1, index: 0, length: 5, body: "first") { id } }', { d: docId }, owner.token);
    const threadId = opened.data!.openThread.id as string;
    const replied = await gql(server, 'mutation($t: ID!) { replyToThread(threadId: $t, body: "reply") { id } }', { t: threadId }, owner.token);
    const suggested = await gql(server, 'mutation($d: ID!) { suggest(input: { documentId: $d, baseVersion: 1, delta: { ops: [{ retain: 6 }, { insert: "big " }] }, clientId: "setup", clientSeq: 0 }) { id } }', { d: docId }, owner.token);
    const suggestionId = suggested.data!.suggest.id as string;
    target = { docId, owner, other, head, threadId, commentId: replied.data!.replyToThread.id as string, suggestionId };
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('answers below 500 with typed rejections, and the document still loads, edits and snapshots', async () => {
    const all = mutations(target);
    const run = fc.oneof(...all.map((m) => m.vars.map((variables) => ({ query: m.query, variables }))));
    await fc.assert(
      fc.asyncProperty(run, fc.boolean(), async ({ query, variables }, asOther) => {
        const res = await gql(server, query, variables, asOther ? target.other.token : target.owner.token);
        expect(res.status).toBeLessThan(500);
        for (const error of res.errors ?? []) expect(CODES, error.message).toContain(error.extensions?.code);

        const loaded = await gql(server, 'query($id: ID!) { document(id: $id) { version content title members { role } threads { quote anchor { index length } comments { body } } suggestions { status version delta } } }', { id: target.docId }, target.owner.token);
        expect(loaded.errors).toBeUndefined();
        const { version, content } = loaded.data!.document as { version: number; content: unknown };
        const edit = await gql(server, SUBMIT, { input: { documentId: target.docId, baseVersion: version, delta: { ops: [{ insert: '.' }] }, clientId: 'checker', clientSeq: seq++ } }, target.owner.token);
        expect(edit.errors).toBeUndefined();
        expect(edit.data?.submitOperation.version).toBe(version + 1);
        await server.services.sequencer.idle(); // the snapshot is stored after the commit
        const stored = await server.services.db.sql.query('SELECT 1 FROM "Snapshot" WHERE "documentId" = $1 AND "version" = $2', [target.docId, version + 1]);
        expect(stored).toHaveLength(1);
        // A fresh read from the snapshot just written gives the same text.
        const at = await gql(server, 'query($id: ID!, $v: Int!) { document(id: $id) { contentAt(version: $v) } }', { id: target.docId, v: version }, target.owner.token);
        expect(at.data?.document.contentAt).toEqual(content);
      }),
      { numRuns: mode === 'embedded' ? 300 : 120, seed: 15 },
    );
  }, 240_000);
});
