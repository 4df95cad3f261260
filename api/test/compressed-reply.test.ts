// Large document replies are compressed for clients that take deflate
// (api/src/schema/compressed-reply.ts): the body inflates (its Adler-32
// checked) to exactly the reply sent uncompressed, version after version
// as pieces are reused; the first reader of a content nobody compressed
// yet gets it uncompressed; only a query that reads one document is
// compressed (never a mutation, never beside another root field: BREACH),
// and such replies say they vary with Accept-Encoding.
import http from 'node:http';
import { deflateSync, inflateSync } from 'node:zlib';
import { getNamedType, isInterfaceType, isObjectType, type GraphQLNamedType } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from '../src/schema/index.ts';
import { adler32, adler32Combine } from '../src/schema/compressed-reply.ts';
import { createDocument, gql, hasScaled, signUp, startServer, SUBMIT, suiteNodeGroup, type TestServer } from './harness.ts';

/** A POST over node:http (fetch would inflate the body itself): status, headers and the body's bytes as sent. */
function post(server: TestServer, body: object, token: string, acceptEncoding?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      server.url + '/graphql',
      { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (b: Buffer) => parts.push(b));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

// ~6,000 runs (~330 KB of JSON), bold, links and plain, with quotes and an accent to escape; the last
// is bold so that the line end stays an op of its own (the content reads back as written).
const runs = Array.from({ length: 6_001 }, (_, i) =>
  i % 3 === 0 ? { insert: `bold ${i} "q" é `, attributes: { bold: true } } : i % 3 === 1 ? { insert: `link ${i} `, attributes: { link: `https://example.com/${i}` } } : { insert: `plain ${i} ` },
);
const content = { ops: [...runs, { insert: '\n' }] };
const OPEN = 'query($id: ID!) { document(id: $id) { version content } }';

describe('Adler-32 in pieces', () => {
  it('matches zlib, and combines pieces to the checksum of the whole', () => {
    const bytes = Buffer.from(JSON.stringify(content).repeat(8)); // ~2.6 MB: past the sums' reduction run
    const zlibs = deflateSync(bytes).readUInt32BE(deflateSync(bytes).length - 4);
    expect(adler32(bytes)).toBe(zlibs);
    for (const cut of [0, 1, 65_521, 1_000_003, bytes.length]) {
      const [x, y] = [bytes.subarray(0, cut), bytes.subarray(cut)];
      expect(adler32Combine(adler32(x), adler32(y), y.length)).toBe(zlibs);
    }
    expect(adler32(Buffer.alloc(0))).toBe(1);
  });
});

describe('what a compressed reply can hold', () => {
  it('has no secret anywhere under Query.document (they are only in mutation replies)', () => {
    const schema = buildSchema();
    const seen = new Set<string>();
    const found: string[] = [];
    const visit = (type: GraphQLNamedType) => {
      if (seen.has(type.name) || !(isObjectType(type) || isInterfaceType(type))) return;
      seen.add(type.name);
      for (const field of Object.values(type.getFields())) {
        // `secret`, `accessToken`, `password`…, not `tokenName`.
        if (/(secret|token|password)$/i.test(field.name)) found.push(`${type.name}.${field.name}`);
        visit(getNamedType(field.type));
      }
    };
    visit(getNamedType(schema.getQueryType()!.getFields().document!.type));
    expect(seen.has('Document')).toBe(true);
    expect(found).toEqual([]);
  });
});

describe('compressed document replies', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer('embedded');
  });
  afterAll(() => server?.stop());

  it('inflate to exactly the plain reply, version after version, and vary with Accept-Encoding', async () => {
    const { token } = await signUp(server);
    const id = await createDocument(server, token, content);
    // The first reader of a content nobody has compressed gets it as it is, at once; the next one
    // compresses it (and a crowd shares that).
    const first = await post(server, { query: OPEN, variables: { id } }, token, 'gzip, deflate, br');
    expect(first.headers['content-encoding']).toBeUndefined();
    expect(first.headers.vary).toMatch(/accept-encoding/i);
    for (let version = 1; version <= 3; version++) {
      const plain = await post(server, { query: OPEN, variables: { id } }, token);
      // After an edit, most pieces are compressed already: the first reader gets it compressed.
      const packed = await post(server, { query: OPEN, variables: { id } }, token, 'gzip, deflate, br');
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(Number(plain.headers['content-length'])).toBe(plain.body.length);
      expect(packed.status).toBe(200);
      expect(packed.headers['content-encoding']).toBe('deflate');
      expect(packed.headers.vary).toMatch(/accept-encoding/i);
      expect(plain.headers.vary).toMatch(/accept-encoding/i);
      expect(packed.body.length).toBeLessThan(plain.body.length / 3);
      expect(inflateSync(packed.body).equals(plain.body)).toBe(true); // inflateSync checks the Adler-32
      expect(JSON.parse(plain.body.toString()).data.document.version).toBe(version);
      // An edit in the middle: the next reply reuses the pieces it did not touch.
      const edit = await gql(server, SUBMIT, { input: { documentId: id, baseVersion: version, delta: { ops: [{ retain: 20_000 + version }, { insert: `v${version}` }] }, clientId: 'c', clientSeq: version } }, token);
      expect(edit.errors).toBeUndefined();
    }
  });

  it('is never used for a mutation, a query with another root field, a small document, or a client without deflate', async () => {
    const { token } = await signUp(server);
    const id = await createDocument(server, token, content);
    const small = await createDocument(server, token, { ops: [{ insert: 'small\n' }] });
    const cases = [
      { query: 'mutation($c: Delta) { createDocument(title: "Copy", content: $c) { content } }', variables: { c: content } },
      { query: 'query($id: ID!) { me { id } document(id: $id) { content } }', variables: { id } },
      { query: 'query($id: ID!) { ...F } fragment F on Query { document(id: $id) { content } }', variables: { id } },
      { query: OPEN, variables: { id: small } },
    ];
    for (const body of cases) {
      const res = await post(server, body, token, 'deflate');
      expect(res.status, body.query).toBe(200);
      expect(res.headers['content-encoding'], body.query).toBeUndefined();
      expect(JSON.parse(res.body.toString()).errors, body.query).toBeUndefined();
    }
    await post(server, { query: OPEN, variables: { id } }, token, 'deflate'); // the first reader (see above)
    for (const encoding of ['gzip, br', 'deflate;q=0', 'identity']) {
      const res = await post(server, { query: OPEN, variables: { id } }, token, encoding);
      expect(res.headers['content-encoding'], encoding).toBeUndefined();
      expect(JSON.parse(res.body.toString()).data.document.content).toEqual(content);
    }
  });
});

describe.runIf(hasScaled())('compressed replies of a document read from its snapshot', () => {
  const group = suiteNodeGroup();

  it('inflate to the plain reply on a node that loads the document from the stored text', async () => {
    const a = await group.start({ SNAPSHOT_EVERY: '1' });
    const { token } = await signUp(a);
    const id = await createDocument(a, token, content);
    await a.services.sequencer.idle(); // the snapshot is stored after the commit
    const b = await group.start();
    expect((await post(b, { query: OPEN, variables: { id } }, token, 'deflate')).headers['content-encoding']).toBeUndefined(); // the first reader
    const packed = await post(b, { query: OPEN, variables: { id } }, token, 'deflate');
    const plain = await post(b, { query: OPEN, variables: { id } }, token);
    expect(packed.headers['content-encoding']).toBe('deflate');
    expect(inflateSync(packed.body).equals(plain.body)).toBe(true);
    expect(JSON.parse(plain.body.toString()).data.document).toEqual({ version: 1, content });
  });
});
