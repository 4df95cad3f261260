// A webhook goes to the address its own lookup checked: a real receiver on
// loopback, host names answered by the test's resolver.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook } from './post-webhook.ts';

let receiver: http.Server;
let port: number;
const received: Array<{ host: string | undefined; body: string }> = [];

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk));
    req.on('end', () => {
      received.push({ host: req.headers.host, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  port = (receiver.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

const post = (host: string, policy: Parameters<typeof postWebhook>[0]['policy']) =>
  postWebhook({ url: new URL(`http://${host}:${port}/hook`), headers: { 'content-type': 'application/json' }, body: '{"n":1}', timeoutMs: 2_000, policy });

describe('postWebhook', () => {
  it('connects to the address the lookup answered, sending the name as the Host', async () => {
    received.length = 0;
    const asked: string[] = [];
    const status = await post('receiver.test', { allowPrivate: true, resolve: async (host) => (asked.push(host), ['127.0.0.1']) });
    expect(status).toBe(204);
    expect(asked).toEqual(['receiver.test']);
    expect(received).toEqual([{ host: `receiver.test:${port}`, body: '{"n":1}' }]);
  });

  it('refuses a name that resolves to a private address, whatever it answered before (DNS rebinding)', async () => {
    received.length = 0;
    // Public to whoever asked first (say, the check when the webhook was
    // made), loopback from then on: the connection must not follow it there.
    let calls = 0;
    const rebinding = async () => (calls++ === 0 ? ['93.184.216.34'] : ['127.0.0.1']);
    await rebinding();
    await expect(post('rebind.test', { allowPrivate: false, resolve: rebinding })).rejects.toMatchObject({ code: 'EPRIVATEADDRESS' });
    // One address among several is enough to refuse.
    await expect(post('mixed.test', { allowPrivate: false, resolve: async () => ['93.184.216.34', '10.0.0.7'] })).rejects.toMatchObject({ code: 'EPRIVATEADDRESS' });
    await expect(post('nothing.test', { allowPrivate: false, resolve: async () => [] })).rejects.toMatchObject({ code: 'ENOTFOUND' });
    expect(received).toEqual([]);
  });

  it('answers with the status of a redirect instead of following it', async () => {
    const redirecting = http.createServer((_req, res) => res.writeHead(302, { location: `http://127.0.0.1:${port}/hook` }).end());
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    received.length = 0;
    const status = await postWebhook({
      url: new URL(`http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/`),
      headers: {},
      body: '{}',
      timeoutMs: 2_000,
      policy: { allowPrivate: true },
    });
    await new Promise<void>((resolve) => redirecting.close(() => resolve()));
    expect(status).toBe(302);
    expect(received).toEqual([]);
  });
});
