// A large content is made into JSON once and put into every HTTP reply
// that carries it (api/src/schema/content-json.ts): the replies must be
// exactly the JSON they were before, wherever the content sits in them,
// next to the same content twice, and over graphql-ws as well.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocument, gql, signUp, startServer, subscribe, wsClient, type TestServer } from './harness.ts';

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
