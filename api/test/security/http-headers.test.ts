// What a browser is told on every answer (nosniff, no referrer, no
// framing), the web client's CSP, who may read /metrics in production, and
// compression: GraphiQL's page is compressed, API replies and SSE streams
// are not (a stream still arrives event by event).
import { request as httpRequest } from 'node:http';
import { brotliDecompressSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocument, OPS_SUBSCRIPTION, signUp, startServer, type TestServer } from '../harness.ts';
import { rawRequest } from './raw-http.ts';

/** One answer's status, headers and raw (still encoded) body. */
function raw(url: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const BASELINE = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' };

describe('HTTP headers, metrics and compression (development)', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer('embedded');
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('says nosniff, no-referrer and DENY framing on every answer, errors included', async () => {
    const json = { 'content-type': 'application/json' };
    const answers = [
      await raw(`${server.url}/`),
      await raw(`${server.url}/documents/abc`),
      await raw(`${server.url}/graphql`, { method: 'POST', headers: json, body: '{"query":"{ __typename }"}' }),
      await raw(`${server.url}/graphql`, { method: 'POST', headers: json, body: '{"query":"{ nope }"}' }),
      await raw(`${server.url}/graphql`, { headers: { accept: 'text/html' } }),
      await raw(`${server.url}/graphql`, { method: 'POST', headers: json, body: 'x'.repeat(2 * 1024 * 1024) }),
      await raw(`${server.url}/healthz`),
      await raw(`${server.url}/readyz`),
      await raw(`${server.url}/metrics`),
      await raw(`${server.url}/`, { method: 'DELETE' }),
    ];
    for (const answer of answers) expect(answer.headers, String(answer.status)).toMatchObject(BASELINE);
    const bad = await rawRequest(server.url, `GET /%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
    expect(bad.statuses).toEqual([400]);
    expect(bad.text.toLowerCase()).toContain('x-content-type-options: nosniff');
  });

  it('puts the web client under a Content-Security-Policy: no inline script, no framing, same-origin connections', async () => {
    const res = await fetch(`${server.url}/documents/abc`);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).not.toMatch(/unsafe-(inline|eval)/);
  });

  it('sends GraphiQL compressed (it is megabytes of HTML) to a browser that accepts it', async () => {
    const page = await raw(`${server.url}/graphql`, { headers: { accept: 'text/html', 'accept-encoding': 'gzip, deflate, br' } });
    expect(page.status).toBe(200);
    expect(page.headers['content-encoding']).toBe('br');
    expect(page.headers.vary).toMatch(/accept-encoding/i);
    const html = brotliDecompressSync(page.body);
    expect(html.toString('utf8')).toContain('<html');
    expect(page.body.length).toBeLessThan(html.length / 3);
    const plain = await raw(`${server.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body.equals(html)).toBe(true);
  });

  it('does not compress API replies, and streams SSE event by event, uncompressed', async () => {
    const reply = await raw(`${server.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-encoding': 'gzip, br' }, body: '{"query":"{ __typename }"}' });
    expect(reply.headers['content-encoding']).toBeUndefined();

    const owner = await signUp(server, 'sse');
    const id = await createDocument(server, owner.token, { ops: [{ insert: 'Hello\n' }] });
    const first = await new Promise<{ headers: Record<string, unknown>; event: string }>((resolve, reject) => {
      const req = httpRequest(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', 'accept-encoding': 'gzip, br', authorization: `Bearer ${owner.token}` },
      });
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          text += chunk;
          // The first op, while the stream stays open: nothing buffered it up.
          if (text.includes('"version":1')) {
            resolve({ headers: res.headers, event: text });
            req.destroy();
          }
        });
      });
      req.on('error', reject);
      req.end(JSON.stringify({ query: OPS_SUBSCRIPTION, variables: { id, after: 0 } }));
    });
    expect(first.headers['content-type']).toMatch(/text\/event-stream/);
    expect(first.headers['content-encoding'] ?? 'none').toBe('none'); // yoga says `none` to keep proxies from buffering
    expect(first.event).toContain('event: next');
  });
});

describe('/metrics in production', () => {
  const token = 'a-metrics-token-of-32-characters';
  let bare: TestServer;
  let withToken: TestServer;
  let withPort: TestServer;

  beforeAll(async () => {
    const start = (env: Record<string, string>) => startServer('embedded', { NODE_ENV: 'production', ...env });
    [bare, withToken, withPort] = await Promise.all([start({}), start({ METRICS_TOKEN: token }), start({ METRICS_PORT: '0' })]);
  });
  afterAll(async () => {
    await Promise.all([bare, withToken, withPort].map((s) => s?.stop()));
  });

  it('answers 404 on the API port with neither METRICS_TOKEN nor METRICS_PORT', async () => {
    expect((await fetch(`${bare.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${bare.url}/healthz`)).status).toBe(200);
  });

  it('asks for the bearer token of METRICS_TOKEN', async () => {
    const anonymous = await fetch(`${withToken.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect((await fetch(`${withToken.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-wrong-token-wrong-tok' } })).status).toBe(401);
    const scraped = await fetch(`${withToken.url}/metrics`, { headers: { authorization: `Bearer ${token}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('collab_websockets');
  });

  it('serves them on METRICS_PORT only', async () => {
    expect((await fetch(`${withPort.url}/metrics`)).status).toBe(404);
    const metricsUrl = withPort.metricsUrl!;
    expect(metricsUrl).toBeTruthy();
    const scraped = await fetch(metricsUrl);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('collab_dependency_up{dependency="database"} 1');
    expect((await fetch(metricsUrl.replace('/metrics', '/graphql'))).status).toBe(404);
  });
});
