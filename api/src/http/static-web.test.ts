// The web client's file server over a real socket, on a root of our own:
// nothing outside the root (a sibling folder that shares its name's start
// included), no throw on a path that does not decode, source maps only
// outside production, a CSP on the page, compression when asked for.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../../test/security/raw-http.ts';
import { createStaticHandler } from './static-web.ts';

describe('static web files', () => {
  let dir: string;
  const servers: Server[] = [];
  let dev: string;
  let prod: string;
  const script = `console.log(${JSON.stringify('x'.repeat(4000))});\n//# sourceMappingURL=app-0123456789.js.map\n`;

  async function serve(options: Parameters<typeof createStaticHandler>[1]): Promise<string> {
    const handler = createStaticHandler(path.join(dir, 'dist'), options);
    const server = createServer((req, res) => void handler(req, res));
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'static-web-'));
    await mkdir(path.join(dir, 'dist', 'assets'), { recursive: true });
    await mkdir(path.join(dir, 'dist-x'));
    await writeFile(path.join(dir, 'dist', 'index.html'), '<!doctype html><title>app</title>');
    await writeFile(path.join(dir, 'dist', 'assets', 'app-0123456789.js'), script);
    await writeFile(path.join(dir, 'dist', 'assets', 'app-0123456789.js.map'), '{"version":3}');
    await writeFile(path.join(dir, 'dist-x', 'secret.txt'), 'SECRET');
    await writeFile(path.join(dir, 'outside.txt'), 'SECRET');
    dev = await serve({ production: false });
    prod = await serve({ production: true });
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    await rm(dir, { recursive: true, force: true });
  });

  const get = (base: string, target: string, headers = '') => rawRequest(base, `GET ${target} HTTP/1.1\r\nHost: x\r\n${headers}Connection: close\r\n\r\n`);

  it('serves nothing from a sibling folder whose name starts like the root, nor from above it', async () => {
    for (const target of ['/..%2fdist-x%2fsecret.txt', '/%2e%2e/dist-x/secret.txt', '/../dist-x/secret.txt', '/..%2f..%2foutside.txt', '/%2e%2e%2foutside.txt']) {
      const answer = await get(dev, target);
      expect(answer.text, target).not.toContain('SECRET');
      expect(answer.statuses, target).toEqual([404]);
    }
  });

  it('answers 400 to a path that does not decode, or holds a NUL, and goes on serving', async () => {
    for (const target of ['/%E0%A4%A', '/%', '/assets/%ZZ', '/%00', '/index.html%00.js']) {
      expect((await get(dev, target)).statuses, target).toEqual([400]);
    }
    expect((await get(dev, '/')).statuses).toEqual([200]);
  });

  it('serves source maps in development, not in production', async () => {
    expect((await fetch(`${dev}/assets/app-0123456789.js.map`)).status).toBe(200);
    expect((await fetch(`${prod}/assets/app-0123456789.js.map`)).status).toBe(404);
    expect((await fetch(`${prod}/assets/app-0123456789.js`)).status).toBe(200);
  });

  it('sends the page with a Content-Security-Policy that forbids framing and inline script', async () => {
    const res = await fetch(`${prod}/documents/abc`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
  });

  it('compresses text assets for clients that accept it (br, else gzip), not for those that do not', async () => {
    const br = await get(prod, '/assets/app-0123456789.js', 'Accept-Encoding: gzip, deflate, br\r\n');
    expect(br.text).toMatch(/content-encoding: br/i);
    expect(br.text).toMatch(/vary: accept-encoding/i);
    const body = (answer: string) => Buffer.from(answer.slice(answer.indexOf('\r\n\r\n') + 4), 'latin1');
    expect(brotliDecompressSync(body(br.text)).toString()).toBe(script);
    const gz = await get(prod, '/assets/app-0123456789.js', 'Accept-Encoding: gzip;q=1, br;q=0.5\r\n');
    expect(gunzipSync(body(gz.text)).toString()).toBe(script);
    const identity = await get(prod, '/assets/app-0123456789.js', 'Accept-Encoding: br;q=0, gzip;q=0\r\n');
    expect(identity.text).not.toMatch(/content-encoding/i);
    expect(body(identity.text).toString()).toBe(script);
  });
});
