// Large bodies take turns; small ones never wait. Real HTTP server and
// clients: two large requests hold their turns with half-sent bodies.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBodyWithin } from './body-limit.ts';
import { LARGE_BODY_BYTES, LargeBodyGate } from './large-body-gate.ts';

const gate = new LargeBodyGate(2);
let server: http.Server;
let port: number;

beforeAll(async () => {
  // Answers with the body's length, as server.ts reads bodies: inside the gate.
  server = http.createServer((req, res) => {
    void gate.run(req, async () => {
      try {
        const body = await readBodyWithin(req, 10 * LARGE_BODY_BYTES);
        res.end(String(body?.length ?? -1));
      } catch {
        res.destroy(); // as server.ts: the client went away
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A POST whose body is sent in two halves: the second when `finish` is called. */
function halfSent(bytes: number) {
  const req = http.request({ port, host: '127.0.0.1', method: 'POST', headers: { 'content-length': bytes } });
  const answer = new Promise<string>((resolve, reject) => {
    req.on('response', (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
  });
  let answered = false;
  void answer.then(() => (answered = true), () => {});
  answer.catch(() => {});
  req.write(Buffer.alloc(bytes / 2));
  return { answer, answered: () => answered, finish: () => req.end(Buffer.alloc(bytes / 2)), abort: () => req.destroy() };
}

const until = async (condition: () => boolean) => {
  while (!condition()) await new Promise((r) => setTimeout(r, 5));
};

describe('LargeBodyGate', () => {
  it('lets two large requests in at once, queues the third, and never holds up a small one', async () => {
    const large = 4 * LARGE_BODY_BYTES;
    const first = halfSent(large);
    const second = halfSent(large);
    const third = halfSent(large);
    await until(() => gate.waiting === 1); // two are in, reading their bodies; the third waits

    // A small request is answered while both turns are taken.
    const small = await fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: 'x'.repeat(100) });
    expect(await small.text()).toBe('100');
    expect(gate.waiting).toBe(1);

    third.finish(); // its body is all sent, but it is not read before a turn frees up
    await new Promise((r) => setImmediate(r));
    expect(third.answered()).toBe(false);

    first.finish();
    expect(await first.answer).toBe(String(large));
    expect(await third.answer).toBe(String(large)); // the turn passed to it
    expect(gate.waiting).toBe(0);
    second.finish();
    expect(await second.answer).toBe(String(large));
  });

  it('gives back the turn of a request whose client went away while it waited', async () => {
    const large = 4 * LARGE_BODY_BYTES;
    const first = halfSent(large);
    const second = halfSent(large);
    await until(() => gate.inProgress === 2);
    const gone = halfSent(large); // the one that waits
    await until(() => gate.waiting === 1);
    gone.abort();
    await new Promise((r) => setTimeout(r, 50)); // the server sees the close
    first.finish();
    second.finish();
    expect(await first.answer).toBe(String(large));
    expect(await second.answer).toBe(String(large));
    // Both turns free again: of three more large requests, two are let in and one waits.
    const more = [halfSent(large), halfSent(large), halfSent(large)];
    await new Promise((r) => setTimeout(r, 50));
    await until(() => gate.waiting === 1);
    for (const r of more) r.finish();
    for (const r of more) expect(await r.answer).toBe(String(large));
    expect(gate.waiting).toBe(0);
  });
});
