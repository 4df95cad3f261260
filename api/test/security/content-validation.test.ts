// Content is always well-formed UTF-16 without NUL, in supported formats,
// with safe URLs, and sizes are counted in bytes. Each hostile input over
// real HTTP gets BAD_USER_INPUT (status < 500) before any write: the
// document's version, content, title and members, and the accounts, are
// unchanged, and the document still loads (from the log, with a cold
// cache), takes an edit and snapshots (SNAPSHOT_EVERY=1: every commit
// writes a snapshot in its own transaction, so content PostgreSQL cannot
// store would fail there). And no query can make a node send more than
// MAX_RESPONSE_BYTES of content, over HTTP or WebSocket.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_VERSION } from '../../src/collab/types.ts';
import { availableModes, createDocument, gql, signUp, startServer, subscribe, SUBMIT, wsClient, type GraphQLResponse, type TestServer } from '../harness.ts';

type User = { token: string; userId: string; email: string };

const STATE = 'query($id: ID!) { document(id: $id) { title version content members { role user { id } } } }';

/** A pasted picture of `bytes` base64 characters (an image embed as Quill makes it). */
const picture = (bytes: number) => `data:image/png;base64,${'A'.repeat(bytes)}`;

/** An embed value nested `depth` arrays deep. */
function nested(depth: number): unknown {
  let value: unknown = 'x';
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

describe.each(availableModes())('content validation (%s)', (mode) => {
  let server: TestServer;
  let owner: User;
  let other: User;
  let id: string;
  let seq = 0;

  const state = async () => (await gql(server, STATE, { id }, owner.token)).data?.document;
  const world = async () => ({
    document: await state(),
    users: await server.services.db.prisma.user.count(),
    documents: await server.services.db.prisma.document.count(),
    operations: await server.services.db.prisma.operation.count(),
  });
  const submit = (delta: unknown, extra: Record<string, unknown> = {}) =>
    gql(server, SUBMIT, { input: { documentId: id, baseVersion: 0, delta, clientId: 'content', clientSeq: seq++, ...extra } }, owner.token);

  /** A submission whose delta is given as JSON text (one too deep for JSON.stringify on this side). */
  const submitRaw = async (deltaJson: string): Promise<GraphQLResponse> => {
    const input = `{"documentId":${JSON.stringify(id)},"baseVersion":0,"clientId":"content","clientSeq":${seq++},"delta":${deltaJson}}`;
    const res = await fetch(`${server.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${owner.token}` },
      body: `{"query":${JSON.stringify(SUBMIT)},"variables":{"input":${input}}}`,
    });
    return { ...((await res.json()) as object), status: res.status, headers: res.headers };
  };

  /** Loads from the log (cold cache), takes an edit, and snapshots it. */
  async function stillWorks(): Promise<void> {
    server.services.sequencer.forget(id);
    const before = await state();
    expect(before?.version).toBeGreaterThan(0);
    const edit = await gql(server, SUBMIT, { input: { documentId: id, baseVersion: before.version, delta: { ops: [{ insert: '.' }] }, clientId: 'healthy', clientSeq: seq++ } }, owner.token);
    expect(edit.errors).toBeUndefined();
    expect(edit.data?.submitOperation.version).toBe(before.version + 1);
    await server.services.sequencer.idle(); // the snapshot is stored after the commit
    expect((await server.services.log.latestSnapshot(id, MAX_VERSION))?.version).toBe(before.version + 1);
    server.services.sequencer.forget(id);
    expect((await state())?.version).toBe(before.version + 1);
  }

  beforeAll(async () => {
    server = await startServer(mode, { SNAPSHOT_EVERY: '1', MAX_TITLE_BYTES: '100', MAX_DELTA_INSERT_BYTES: '100000', MAX_DOCUMENT_BYTES: '300000', MAX_RESPONSE_BYTES: '400000' });
    owner = await signUp(server, 'owner');
    other = await signUp(server, 'other');
    id = await createDocument(server, owner.token, { ops: [{ insert: 'Hello 😀\n' }] });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const refusals: Array<[string, () => Promise<GraphQLResponse>, Record<string, unknown>?]> = [
    ['a lone high surrogate in inserted text', () => submit({ ops: [{ insert: 'a\uD83D' }] })],
    ['a lone low surrogate in inserted text', () => submit({ ops: [{ insert: '\uDE00' }] })],
    ['NUL in inserted text', () => submit({ ops: [{ insert: 'a\u0000b' }] })],
    ['NUL in an attribute value', () => submit({ ops: [{ insert: 'a', attributes: { color: 'red\u0000' } }] })],
    ['a lone surrogate in an attribute name', () => submit({ ops: [{ insert: 'a', attributes: { 'bold\uDC00': true } }] })],
    ['ill-formed text inside an embed', () => submit({ ops: [{ insert: { image: 'https://example.com/\uD800.png' } }] })],
    ['NUL in a clientId', () => submit({ ops: [{ insert: 'a' }] }, { clientId: 'c\u0000' })],
    ['NUL in a new title', () => gql(server, 'mutation($t: String!) { createDocument(title: $t) { id } }', { t: 'a\u0000b' }, owner.token)],
    ['NUL in a title literal', () => gql(server, 'mutation { createDocument(title: "a\\u0000b") { id } }', {}, owner.token)],
    ['a lone surrogate in a renamed title', () => gql(server, 'mutation($id: ID!, $t: String!) { renameDocument(id: $id, title: $t) { id } }', { id, t: 'x\uD83D' }, owner.token)],
    ['NUL in initial content', () => gql(server, 'mutation($c: Delta) { createDocument(title: "t", content: $c) { id } }', { c: { ops: [{ insert: '\u0000\n' }] } }, owner.token)],
    ['NUL in a shared email', () => gql(server, 'mutation($id: ID!, $e: String!) { shareDocument(id: $id, email: $e, role: EDITOR) { role } }', { id, e: `${other.email}\u0000` }, owner.token)],
    ['a lone surrogate in a sign-up name', () => gql(server, 'mutation($n: String!) { signUp(email: "new@example.com", password: "correct horse", name: $n) { accessToken } }', { n: 'Ann\uDBFF' })],
    ['NUL in a log-in email', () => gql(server, 'mutation($e: String!) { logIn(email: $e, password: "correct horse") { accessToken } }', { e: `${owner.email}\u0000` })],
    ['NUL in a document id', () => gql(server, 'query($id: ID!) { document(id: $id) { id } }', { id: `${id}\u0000` }, owner.token)],
    ['an embed nested 100000 deep', () => submitRaw(`{"ops":[{"insert":{"custom":${'['.repeat(100_000)}"x"${']'.repeat(100_000)}}}]}`), { limit: 'embedDepth', max: 8 }],
    ['an embed nested 9 deep', () => submit({ ops: [{ insert: { custom: nested(9) } }] }), { limit: 'embedDepth' }],
    ['a javascript: link', () => submit({ ops: [{ insert: 'click', attributes: { link: 'javascript:alert(document.cookie)' } }] }), { field: 'link' }],
    ['a javascript: link set by formatting', () => submit({ ops: [{ retain: 5, attributes: { link: ' JAVASCRIPT:alert(1)' } }] }), { field: 'link' }],
    ['an SVG image (script inside)', () => submit({ ops: [{ insert: { image: 'data:image/svg+xml;base64,PHN2Zz4=' } }] }), { field: 'image' }],
    ['an unsupported attribute name', () => submit({ ops: [{ insert: 'a', attributes: { onclick: 'steal()' } }] }), { field: 'onclick' }],
    ['an unsupported embed type', () => submit({ ops: [{ insert: { video: 'https://example.com/v' } }] }), { field: 'video' }],
    ['a 900 KB image embed', () => submit({ ops: [{ insert: { image: picture(900_000) } }] }), { limit: 'embedBytes', max: 65_536 }],
    ['a title over MAX_TITLE_BYTES (60 characters, 120 bytes)', () => gql(server, 'mutation($t: String!) { createDocument(title: $t) { id } }', { t: 'é'.repeat(60) }, owner.token), { limit: 'titleBytes', max: 100 }],
    ['initial content over MAX_DELTA_INSERT_BYTES (60000 characters, 120000 bytes)', () => gql(server, 'mutation($c: Delta) { createDocument(title: "t", content: $c) { id } }', { c: { ops: [{ insert: 'é'.repeat(60_000) }] } }, owner.token), { limit: 'deltaInsertBytes', max: 100_000 }],
    ['a delta over MAX_DELTA_INSERT_BYTES', () => submit({ ops: [{ insert: '€'.repeat(40_000) }] }), { limit: 'deltaInsertBytes', max: 100_000 }],
  ];

  it.each(refusals)('refuses %s with BAD_USER_INPUT before any write; the document still loads, edits and snapshots', async (_name, send, details) => {
    const before = await world();
    const res = await send();
    expect(res.status).toBeLessThan(500);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', ...details });
    expect(await world()).toEqual(before);
    await stillWorks();
  });

  it('refuses ill-formed text over the WebSocket too (a subscription and a mutation)', async () => {
    const before = await world();
    const client = wsClient(server, owner.token);
    const stream = subscribe(client, 'subscription($id: ID!) { documentOperations(documentId: $id, afterVersion: 0) { version } }', { id: `${id}\u0000` });
    expect(await stream.refusal()).toBe('BAD_USER_INPUT');
    const rename = subscribe(client, 'mutation($id: ID!, $t: String!) { renameDocument(id: $id, title: $t) { id } }', { id, t: 'a\uD800' });
    expect(await rename.refusal()).toBe('BAD_USER_INPUT');
    expect(await world()).toEqual(before);
    await client.dispose();
    await stillWorks();
  });

  it('keeps well-formed text, supported formats and safe links as sent', async () => {
    const head = await state();
    const delta = { ops: [{ retain: 1 }, { insert: '😀 ok', attributes: { bold: true, link: 'https://example.com/a?b=1' } }, { insert: { image: picture(100) } }] };
    const res = await gql(server, SUBMIT, { input: { documentId: id, baseVersion: head.version, delta, clientId: 'good', clientSeq: 0 } }, owner.token);
    expect(res.errors).toBeUndefined();
    expect(res.data?.submitOperation.delta).toEqual(delta);
    await stillWorks();
  });

  it('counts a document in bytes: 60 KB pictures fill a 300 KB document after 4, though its length grows by 1 each', async () => {
    const doc = await createDocument(server, owner.token, { ops: [{ insert: 'pictures\n' }] });
    const add = (clientSeq: number) =>
      gql(server, SUBMIT, { input: { documentId: doc, baseVersion: 0, delta: { ops: [{ insert: { image: picture(60_000) } }] }, clientId: 'pictures', clientSeq } }, owner.token);
    for (let n = 0; n < 4; n++) expect((await add(n)).errors).toBeUndefined();
    const read = async () => (await gql(server, STATE, { id: doc }, owner.token)).data?.document;
    const before = await read();
    const refused = await add(4);
    expect(refused.status).toBeLessThan(500);
    expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'documentBytes', max: 300_000 });
    expect(await read()).toEqual(before);
    expect((await server.services.sequencer.head(doc)).bytes).toBeLessThanOrEqual(300_000);
    // Shrinking edits still pass, and the document goes on.
    const removed = await gql(server, SUBMIT, { input: { documentId: doc, baseVersion: before.version, delta: { ops: [{ delete: 1 }] }, clientId: 'pictures', clientSeq: 5 } }, owner.token);
    expect(removed.data?.submitOperation.version).toBe(before.version + 1);
  });

  describe('response budget', () => {
    let big: string;
    const TWICE = 'query($id: ID!) { document(id: $id) { a: content b: content } }';
    const LOG_AND_CONTENT = 'query($id: ID!) { document(id: $id) { content operations(afterVersion: 0, first: 100) { delta } } }';

    beforeAll(async () => {
      // About 240 KB: one read fits MAX_RESPONSE_BYTES (400 KB), two do not.
      big = await createDocument(server, owner.token, { ops: [{ insert: 'big\n' }] });
      for (let n = 0; n < 4; n++) {
        const res = await gql(server, SUBMIT, { input: { documentId: big, baseVersion: 0, delta: { ops: [{ insert: { image: picture(60_000) } }] }, clientId: 'big', clientSeq: n } }, owner.token);
        expect(res.errors).toBeUndefined();
      }
    });

    it('reads a large document once, but refuses a second copy in the same response (HTTP)', async () => {
      const once = await gql(server, 'query($id: ID!) { document(id: $id) { content } }', { id: big }, owner.token);
      expect(once.errors).toBeUndefined();
      for (const query of [TWICE, LOG_AND_CONTENT]) {
        const res = await gql(server, query, { id: big }, owner.token);
        expect(res.status).toBeLessThan(500);
        expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'responseBytes', max: 400_000 });
        // What was sent stays within the budget.
        expect(JSON.stringify(res).length).toBeLessThan(400_000 + 10_000);
      }
    });

    it('applies the same budget to a query over the WebSocket', async () => {
      const client = wsClient(server, owner.token);
      const stream = subscribe(client, TWICE, { id: big });
      await stream.ended();
      expect(stream.results[0]?.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', limit: 'responseBytes' });
      await client.dispose();
    });

    it('streams the log of a large document in batches that fit the budget', async () => {
      const client = wsClient(server, owner.token);
      const stream = subscribe(client, 'subscription($id: ID!) { documentOperationBatches(documentId: $id, afterVersion: 0) { version } }', { id: big });
      const versions: number[] = [];
      for (let n = 1; versions.length < 5; n++) {
        const result = (await stream.take(n))[n - 1];
        expect(result?.errors).toBeUndefined();
        versions.push(...(result?.data?.documentOperationBatches as Array<{ version: number }>).map((op) => op.version));
      }
      expect(versions).toEqual([1, 2, 3, 4, 5]);
      expect(stream.results.length).toBeGreaterThan(1);
      await client.dispose();
    });
  });
});
