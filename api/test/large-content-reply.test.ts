// A large content is made into JSON once and put into every HTTP reply
// that carries it (api/src/schema/content-json.ts): the replies must be
// exactly the JSON they were before, wherever the content sits in them,
// next to the same content twice, and over graphql-ws as well. Over HTTP
// such a reply is sent as bytes, the content's encoded once: with the
// status, type and length yoga gives any reply. A node that opens a
// document from its snapshot (JSON text, read without parsing) answers the
// same, and takes edits on it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBody } from '../src/store/snapshot-body.ts';
import { createDocument, gql, hasScaled, signUp, startServer, SUBMIT, subscribe, suiteNodeGroup, type TestServer, wsClient } from './harness.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer('embedded');
});
afterAll(() => server.stop());

// 601 runs (the last one bold, so that the line end stays its own op), some bold or with a link (quotes, a backslash and an accent to escape), then a line.
const runs = Array.from({ length: 601 }, (_, i) =>
  i % 3 === 0 ? { insert: `bold ${i} "q" \\ é `, attributes: { bold: true } } : i % 3 === 1 ? { insert: `link ${i} `, attributes: { link: `https://example.com/${i}` } } : { insert: `plain ${i} ` },
);
const content = { ops: [...runs, { insert: '\n' }] };

describe('large content in replies', () => {
  it('reads back exactly, in one reply twice, with other fields around it, and over a socket', async () => {
    const { token } = await signUp(server);
    const id = await createDocument(server, token, content);
    const query = 'query($id: ID!) { document(id: $id) { title version content again: content contentAt(version: 1) } }';
    for (let k = 0; k < 2; k++) {
      const res = await gql(server, query, { id }, token);
      expect(res.errors).toBeUndefined();
      expect(res.data!.document).toEqual({ title: 'Test doc', version: 1, content, again: content, contentAt: content });
    }
    const client = wsClient(server, token);
    try {
      const stream = subscribe(client, query, { id });
      const [result] = await stream.take(1);
      expect(result!.data!.document).toEqual({ title: 'Test doc', version: 1, content, again: content, contentAt: content });
    } finally {
      await client.dispose();
    }
  });
});

/** A POST of `query`, with the reply's status, headers and exact body text. */
async function raw(server: TestServer, query: string, variables: Record<string, unknown>, token: string, accept?: string) {
  const res = await fetch(server.url + '/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(accept === undefined ? {} : { accept }) },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, type: res.headers.get('content-type'), length: res.headers.get('content-length'), cache: res.headers.get('cache-control'), text: await res.text() };
}

describe('large content replies as bytes', () => {
  it('answer with the status, type and headers of any reply, and the same JSON to the byte', async () => {
    const { token } = await signUp(server);
    const id = await createDocument(server, token, content);
    const small = await createDocument(server, token, { ops: [{ insert: 'small\n' }] });
    const query = 'query($id: ID!) { document(id: $id) { version content } }';
    for (const accept of [undefined, 'application/json', 'application/graphql-response+json', '*/*', 'application/graphql-response+json, application/json;q=0.9', 'application/json, application/graphql-response+json']) {
      const big = await raw(server, query, { id }, token, accept);
      const little = await raw(server, query, { id: small }, token, accept);
      expect([big.status, big.type, big.cache], String(accept)).toEqual([little.status, little.type, little.cache]);
      expect(big.text).toBe(JSON.stringify({ data: { document: { version: 1, content } } }));
      expect(Number(big.length)).toBe(Buffer.byteLength(big.text));
    }
    // An error next to the content keeps its status and shape.
    const withError = await raw(server, 'query($id: ID!) { document(id: $id) { content contentAt(version: 99) } }', { id }, token);
    const parsed = JSON.parse(withError.text);
    expect(parsed.data).toEqual({ document: null });
    expect(parsed.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});

describe.runIf(hasScaled())('a document opened from its snapshot', () => {
  const group = suiteNodeGroup();

  it('reads back exactly on a node that loads it from the stored text, and takes edits there', async () => {
    // Every commit snapshotted: node b loads the head from the snapshot alone.
    const a = await group.start({ SNAPSHOT_EVERY: '1' });
    const { token } = await signUp(a);
    const id = await createDocument(a, token, content);
    await a.services.sequencer.idle(); // the snapshot is stored after the commit
    const rows = await a.services.db.sql.query<{ version: number; body: string; layout: string }>('SELECT "version", "body", "layout" FROM "Snapshot" WHERE "documentId" = $1', [id]);
    expect(rows.map((r) => r.version)).toEqual([1]);
    expect((await decodeBody(rows[0]!.body, rows[0]!.layout)).text).toBe(JSON.stringify(content));
    const b = await group.start({ SNAPSHOT_EVERY: '1' });
    const query = 'query($id: ID!) { document(id: $id) { version content } }';
    expect((await raw(b, query, { id }, token)).text).toBe(JSON.stringify({ data: { document: { version: 1, content } } }));
    // An edit in the middle of the stored text, committed on b (and snapshotted there), read on a and on a third node.
    const at = 1_000;
    const edit = await gql(b, SUBMIT, { input: { documentId: id, baseVersion: 1, delta: { ops: [{ retain: at }, { insert: 'NEW', attributes: { italic: true } }] }, clientId: 'c', clientSeq: 0 } }, token);
    expect(edit.errors).toBeUndefined();
    await b.services.sequencer.idle();
    const expected = (await gql(a, 'query($id: ID!) { document(id: $id) { contentAt(version: 2) } }', { id }, token)).data!.document.contentAt;
    const c = await group.start();
    for (const node of [a, b, c]) expect((await gql(node, query, { id }, token)).data!.document).toEqual({ version: 2, content: expected });
    const text = expected.ops.map((op: { insert: string }) => op.insert).join('');
    expect(text.slice(at, at + 3)).toBe('NEW');
  });
});
