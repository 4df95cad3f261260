// The pre-read body handed to yoga: yoga (whatwg-node) must take it as is
// and read it whole, and deciding that must not cost one step per byte
// (whatwg-node counts the body's own keys; a Buffer has one per byte).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preReadBody, readBodyWithin } from './body-limit.ts';

const LIMIT = 1024 * 1024;
let server: http.Server;
let url: string;

beforeAll(async () => {
  const yoga = createYoga({
    schema: createSchema({ typeDefs: 'type Query { length(text: String!): Int! }', resolvers: { Query: { length: (_: unknown, args: { text: string }) => args.text.length } } }),
    logging: false,
  });
  // As server.ts hands a POST body to yoga.
  server = http.createServer(async (req, res) => {
    const body = await readBodyWithin(req, LIMIT);
    (req as http.IncomingMessage & { body?: unknown }).body = preReadBody(body!);
    await yoga(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const post = (body: string) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('preReadBody', () => {
  it('is read whole by yoga, as the request body', async () => {
    const text = 'é'.repeat(300_000); // 600 KB of UTF-8
    const res = await post(JSON.stringify({ query: 'query($t: String!) { length(text: $t) }', variables: { t: text } }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { length: 300_000 } });
  });

  it('hands an empty body on so that yoga refuses it (4xx), as any body that is not JSON', async () => {
    const res = await post('');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('has one own key however long the body (whatwg-node lists them to see that a body was read)', () => {
    expect(Object.keys(preReadBody(Buffer.alloc(1_000_000)))).toEqual(['byteLength']);
  });
});
